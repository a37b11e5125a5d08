import { useState } from 'preact/hooks';
import { currentUser } from '../auth/session';
import { t } from '../i18n';
import { OtpEnrolment } from './OtpEnrolment';
import { PasswordForm } from './PasswordChange';

export function Account() {
  const user = currentUser.value;
  const [changed, setChanged] = useState(false);
  if (!user) return null;
  return (
    <>
      <h1>{t('account.title')}</h1>
      <dl class="facts">
        <dt>{t('account.username')}</dt>
        <dd>{user.username}</dd>
        <dt>{t('account.roles')}</dt>
        <dd>{user.roles.join(', ')}</dd>
      </dl>
      <section class="card" aria-labelledby="otp-title">
        <h2 id="otp-title">{t('otp.title')}</h2>
        <OtpEnrolment enabled={user.otpEnabled} />
      </section>
      <section class="card" aria-labelledby="password-title">
        <h2 id="password-title">{t('password.title')}</h2>
        <div role="status">{changed && t('password.changed')}</div>
        <PasswordForm onChanged={() => setChanged(true)} />
      </section>
    </>
  );
}
