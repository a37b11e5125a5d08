import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { ApiError } from '../api/problem';
import type { OtpSetupResponse } from '../api/types';
import { refresh } from '../auth/session';
import { describeError } from '../components/errors';
import { Field } from '../components/Field';
import { t } from '../i18n';

/** The otpauth URI as an SVG QR code in a data: URL (the CSP allows data: images, not inline markup). */
async function qrImage(uri: string): Promise<string> {
  const qrcode = await import('qrcode');
  const svg = await qrcode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

type Step =
  | { readonly name: 'idle' }
  | { readonly name: 'password' }
  | { readonly name: 'confirm'; readonly secret: string; readonly qr: string };

/** Enrols an authenticator app: re-enter the password, scan the QR code, confirm with a first code. */
export function OtpEnrolment({ enabled }: { enabled: boolean }) {
  const [step, setStep] = useState<Step>({ name: 'idle' });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };

  const start = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        const setup = await api<OtpSetupResponse>('POST', '/v1/auth/otp/setup', {
          body: { currentPassword: password },
        });
        setPassword('');
        setStep({ name: 'confirm', secret: setup.secret, qr: await qrImage(setup.otpauthUri) });
      } catch (err) {
        setError(
          err instanceof ApiError && err.code === 'invalid_current_password'
            ? t('password.wrongCurrent')
            : describeError(err),
        );
      }
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        await api('POST', '/v1/auth/otp/confirm', { body: { otp: code } });
        setStep({ name: 'idle' });
        setCode('');
        setDone(true);
        // /v1/me now says otpEnabled.
        await refresh();
      } catch (err) {
        setError(
          err instanceof ApiError && err.code === 'invalid_otp' ? t('otp.invalid') : describeError(err),
        );
      }
    });
  };

  return (
    <div>
      <p role="status">{done ? t('otp.done') : enabled ? t('otp.enabled') : t('otp.disabled')}</p>
      {!enabled && step.name === 'idle' && (
        <button type="button" onClick={() => setStep({ name: 'password' })}>
          {t('otp.start')}
        </button>
      )}
      {step.name === 'password' && (
        <form onSubmit={start} noValidate>
          <Field
            label={t('otp.passwordPrompt')}
            type="password"
            name="otp-password"
            autoComplete="current-password"
            required
            autoFocus
            value={password}
            onValue={setPassword}
          />
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t('otp.start')}
            </button>
            <button type="button" class="secondary" onClick={() => setStep({ name: 'idle' })}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      {step.name === 'confirm' && (
        <form onSubmit={confirm} noValidate>
          <p>{t('otp.scan')}</p>
          <img class="qr" src={step.qr} alt={t('otp.qrAlt')} width={200} height={200} />
          <p>
            {t('otp.secret')}: <code class="otp-secret">{step.secret}</code>
          </p>
          <Field
            label={t('otp.code')}
            name="otp-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            maxLength={6}
            required
            value={code}
            onValue={setCode}
          />
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t('otp.confirm')}
            </button>
          </div>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
