import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { ApiError } from '../api/problem';
import { refresh } from '../auth/session';
import { describeError } from '../components/errors';
import { Field } from '../components/Field';
import { t } from '../i18n';

function passwordError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'invalid_current_password') return t('password.wrongCurrent');
  // weak_password and the like: the server's explanation names the rule.
  if (err instanceof ApiError && err.status === 400) return err.message;
  return describeError(err);
}

/** Change one's own password. The API keeps this session and ends every other one. */
export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    if (next !== repeat) {
      setError(t('password.mismatch'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/v1/auth/password', { body: { currentPassword: current, newPassword: next } });
      // The session's access token still says "must change": a fresh one says otherwise.
      await refresh();
      setCurrent('');
      setNext('');
      setRepeat('');
      onChanged();
    } catch (err) {
      setError(passwordError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Field
        label={t('password.current')}
        type="password"
        name="current-password"
        autoComplete="current-password"
        required
        value={current}
        onValue={setCurrent}
      />
      <Field
        label={t('password.new')}
        type="password"
        name="new-password"
        autoComplete="new-password"
        required
        value={next}
        onValue={setNext}
      />
      <Field
        label={t('password.repeat')}
        type="password"
        name="repeat-password"
        autoComplete="new-password"
        required
        value={repeat}
        onValue={setRepeat}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('password.submit')}
        </button>
      </div>
    </form>
  );
}

/** Shown instead of every page while the account still has its temporary password. */
export function ForcedPasswordChange() {
  return (
    <section class="card narrow" aria-labelledby="password-title">
      <h1 id="password-title">{t('password.title')}</h1>
      <p>{t('password.required')}</p>
      <PasswordForm onChanged={() => undefined} />
    </section>
  );
}
