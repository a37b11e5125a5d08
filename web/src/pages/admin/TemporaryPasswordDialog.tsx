import { useState } from 'preact/hooks';
import { t } from '../../i18n';
import type { CreatedUser } from './api';
import { Modal } from './Modal';

/** The new user's one-time password: shown here once, never again. */
export function TemporaryPasswordDialog({
  created,
  onClose,
}: {
  readonly created: CreatedUser;
  readonly onClose: () => void;
}) {
  const [copied, setCopied] = useState<'yes' | 'failed'>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.temporaryPassword);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <Modal title={t('admin.users.createdTitle', { username: created.user.username })} onClose={onClose}>
      <p class="warning">{t('admin.users.passwordWarning')}</p>
      <p>
        <span id="temporary-password-label">{t('admin.users.temporaryPassword')}</span>
        <br />
        <output
          class="mono admin-secret"
          aria-labelledby="temporary-password-label"
          data-testid="temporary-password"
        >
          {created.temporaryPassword}
        </output>
      </p>
      <p role="status">
        {copied === 'yes' && t('admin.users.copied')}
        {copied === 'failed' && t('admin.users.copyFailed')}
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void copy()}>
          {t('admin.users.copy')}
        </button>
        <button type="button" data-initial-focus onClick={onClose}>
          {t('admin.users.passwordStored')}
        </button>
      </div>
    </Modal>
  );
}
