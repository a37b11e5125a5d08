import { useState } from 'preact/hooks';
import { ApiError } from '../api/problem';
import { login, session } from '../auth/session';
import { describeError } from '../components/errors';
import { Field } from '../components/Field';
import { t } from '../i18n';

function loginError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'invalid_credentials') return t('login.invalidCredentials');
    if (err.code === 'too_many_attempts')
      return t('login.tooManyAttempts', { seconds: err.retryAfterSeconds ?? 60 });
  }
  return describeError(err);
}

/** Sign-in: username and password, then (when the account asks for it) the one-time code. */
export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [step, setStep] = useState<'password' | 'otp'>('password');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const current = session.value;
  const expired = current.status === 'signed-out' && current.reason === 'expired';

  const submit = async (event: Event) => {
    event.preventDefault();
    if (step === 'otp' && !/^\d{6}$/.test(otp)) {
      setError(t('login.otpFormat'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await login(username, password, step === 'otp' ? otp : undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'otp_required') {
        setStep('otp');
      } else {
        setError(loginError(err));
        if (step === 'otp') setOtp('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow" aria-labelledby="login-title">
      <h1 id="login-title">{step === 'password' ? t('login.title') : t('login.otpTitle')}</h1>
      {expired && !error && <p role="status">{t('login.sessionEnded')}</p>}
      <form onSubmit={submit} noValidate>
        {step === 'password' ? (
          <>
            <Field
              label={t('login.username')}
              name="username"
              autoComplete="username"
              required
              value={username}
              onValue={setUsername}
            />
            <Field
              label={t('login.password')}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onValue={setPassword}
            />
          </>
        ) : (
          <Field
            label={t('login.otp')}
            hint={t('login.otpHelp')}
            name="otp"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            maxLength={6}
            required
            autoFocus
            value={otp}
            onValue={setOtp}
          />
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {step === 'password' ? t('login.submit') : t('login.otpSubmit')}
          </button>
          {step === 'otp' && (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setStep('password');
                setOtp('');
                setError(undefined);
              }}
            >
              {t('login.back')}
            </button>
          )}
        </div>
      </form>
      <p>
        <a href="/verify">{t('login.verifyWithoutAccount')}</a>
      </p>
    </section>
  );
}
