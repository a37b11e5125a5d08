import './strings';
import './admin.css';
import { useEffect, useState } from 'preact/hooks';
import type { UserView } from '../../api/types';
import { formatDateTime, t } from '../../i18n';
import { type CreatedUser, listUsers } from './api';
import { adminError } from './errors';
import { roleName } from './RoleCheckboxes';
import { TemporaryPasswordDialog } from './TemporaryPasswordDialog';
import { UserCreateForm } from './UserCreateForm';
import { UserPanel } from './UserPanel';

function UserStatus({ user }: { readonly user: UserView }) {
  return (
    <>
      {user.disabled ? (
        <span class="badge failed">{t('admin.users.statusDisabled')}</span>
      ) : (
        <span class="badge sealed">{t('admin.users.statusActive')}</span>
      )}{' '}
      {user.mustChangePassword && <span class="badge pending">{t('admin.users.statusMustChange')}</span>}
    </>
  );
}

/** Users (admin): the paged list, creation with a one-time password, and each user's management. */
export default function Users() {
  const [users, setUsers] = useState<UserView[]>([]);
  const [cursor, setCursor] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState('');
  const [selectedId, setSelectedId] = useState<string>();
  const [created, setCreated] = useState<CreatedUser>();

  const load = async (after?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await listUsers(after);
      setUsers((shown) => (after ? [...shown, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(adminError(err));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void load();
  }, []);

  const replace = (user: UserView) => setUsers((shown) => shown.map((u) => (u.id === user.id ? user : u)));
  const selected = users.find((user) => user.id === selectedId);

  return (
    <>
      <h1>{t('admin.users.title')}</h1>
      <p role="status" aria-live="polite" class="admin-notice">
        {notice}
      </p>

      <section class="card" aria-labelledby="create-user-title">
        <h2 id="create-user-title">{t('admin.users.createTitle')}</h2>
        <UserCreateForm
          onCreated={(result) => {
            setCreated(result);
            setUsers((shown) => [result.user, ...shown.filter((u) => u.id !== result.user.id)]);
            setNotice(t('admin.users.created', { username: result.user.username }));
          }}
        />
      </section>

      {created && <TemporaryPasswordDialog created={created} onClose={() => setCreated(undefined)} />}

      {selected && (
        <UserPanel
          user={selected}
          onChanged={replace}
          onNotice={setNotice}
          onRemoved={(message) => {
            setUsers((shown) => shown.filter((u) => u.id !== selected.id));
            setSelectedId(undefined);
            setNotice(message);
          }}
          onClose={() => setSelectedId(undefined)}
        />
      )}

      <div class="table-scroll">
        <table class="admin-table" aria-busy={loading}>
          <caption>{t('admin.users.listCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.users.username')}</th>
              <th scope="col">{t('admin.users.roles')}</th>
              <th scope="col">{t('admin.users.status')}</th>
              <th scope="col">{t('admin.users.twoFactor')}</th>
              <th scope="col">{t('admin.users.createdAt')}</th>
              <th scope="col">{t('admin.users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} aria-current={user.id === selectedId ? 'true' : undefined}>
                <th scope="row">{user.username}</th>
                <td>{user.roles.map(roleName).join(', ')}</td>
                <td>
                  <UserStatus user={user} />
                </td>
                <td>{user.otpEnabled ? t('admin.yes') : t('admin.no')}</td>
                <td>{formatDateTime(user.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    aria-label={t('admin.users.manage', { username: user.username })}
                    onClick={() => setSelectedId(user.id)}
                  >
                    {t('admin.users.manageShort')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && !error && users.length === 0 && <p>{t('admin.users.empty')}</p>}
      <div role="alert">{error && <p class="error">{error}</p>}</div>
      <div class="actions">
        {loading && <p role="status">{t('app.loading')}</p>}
        {cursor && !loading && (
          <button type="button" class="secondary" onClick={() => void load(cursor)}>
            {t('admin.more')}
          </button>
        )}
      </div>
    </>
  );
}
