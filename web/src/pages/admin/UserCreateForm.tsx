import { useState } from 'preact/hooks';
import type { Role } from '../../api/types';
import { Field } from '../../components/Field';
import { t } from '../../i18n';
import { type CreatedUser, createUser } from './api';
import { adminError } from './errors';
import { RoleCheckboxes } from './RoleCheckboxes';

// The API's rule for usernames (shared/http/schemas.ts `username`), checked here for a quick answer.
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;

/** Creates a user with a temporary password, which the caller shows once. */
export function UserCreateForm({ onCreated }: { readonly onCreated: (created: CreatedUser) => void }) {
  const [username, setUsername] = useState('');
  const [roles, setRoles] = useState<Role[]>(['uploader']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!USERNAME.test(username)) return setError(t('admin.users.usernameRule'));
    if (roles.length === 0) return setError(t('admin.users.rolesRequired'));
    setBusy(true);
    setError(undefined);
    try {
      const created = await createUser(username, roles);
      setUsername('');
      setRoles(['uploader']);
      onCreated(created);
    } catch (err) {
      setError(adminError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Field
        label={t('admin.users.username')}
        hint={t('admin.users.usernameRule')}
        name="new-username"
        autoComplete="off"
        spellcheck={false}
        maxLength={64}
        required
        value={username}
        onValue={setUsername}
      />
      <RoleCheckboxes legend={t('admin.users.roles')} value={roles} onValue={setRoles} />
      <div role="alert">{error && <p class="error">{error}</p>}</div>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? t('common.working') : t('admin.users.create')}
        </button>
      </div>
    </form>
  );
}
