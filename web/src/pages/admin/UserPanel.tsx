import { useEffect, useRef, useState } from 'preact/hooks';
import type { Role, UserView } from '../../api/types';
import { fileStamp, saveBlob } from '../../components/download';
import { t } from '../../i18n';
import {
  deleteUser,
  disableUser,
  enableUser,
  eraseUser,
  exportUser,
  resetOtp,
  type UserErasure,
  unlockUser,
  updateRoles,
} from './api';
import { ConfirmDialog } from './ConfirmDialog';
import { adminError } from './errors';
import { RoleCheckboxes } from './RoleCheckboxes';

type Confirming = 'disable' | 'otp' | 'delete' | 'erase';

export interface UserPanelProps {
  readonly user: UserView;
  /** The user as the API now answers it. */
  readonly onChanged: (user: UserView) => void;
  /** The user is gone (deleted or erased). */
  readonly onRemoved: (notice: string) => void;
  /** A sentence for the page's live region. */
  readonly onNotice: (notice: string) => void;
  readonly onClose: () => void;
}

const sameRoles = (a: readonly Role[], b: readonly Role[]) =>
  a.length === b.length && a.every((role) => b.includes(role));

const erasureSummary = (result: UserErasure, username: string) =>
  t('admin.gdpr.erased', {
    username,
    notarizations: result.notarizationDetailsErased,
    events: result.auditEventsErased,
  });

/** One user's management: roles, status, sign-in recovery, deletion and GDPR requests. */
export function UserPanel({ user, onChanged, onRemoved, onNotice, onClose }: UserPanelProps) {
  const [roles, setRoles] = useState<Role[]>([...user.roles]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState<Confirming>();
  const heading = useRef<HTMLHeadingElement>(null);

  // A newly chosen user: its roles, and the focus on its heading so keyboard users land here.
  useEffect(() => {
    setRoles([...user.roles]);
    setError(undefined);
    heading.current?.focus();
  }, [user.id]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(adminError(err));
    } finally {
      setBusy(false);
    }
  };

  const saveRoles = (event: Event) => {
    event.preventDefault();
    if (roles.length === 0) return setError(t('admin.users.rolesRequired'));
    return run(async () => {
      const updated = await updateRoles(user.id, roles);
      onChanged(updated);
      onNotice(t('admin.users.rolesSaved', { username: user.username }));
    });
  };

  const enable = () =>
    run(async () => {
      onChanged(await enableUser(user.id));
      onNotice(t('admin.users.enabled', { username: user.username }));
    });

  const unlock = () =>
    run(async () => {
      await unlockUser(user.id);
      onNotice(t('admin.users.unlocked', { username: user.username }));
    });

  const download = () =>
    run(async () => {
      saveBlob(await exportUser(user.id), `stempel-user-${user.username}-${fileStamp()}.json`);
      onNotice(t('admin.gdpr.exported', { username: user.username }));
    });

  const close = () => setConfirming(undefined);

  return (
    <section class="card admin-panel" aria-labelledby="user-panel-title">
      <h2 id="user-panel-title" ref={heading} tabIndex={-1}>
        {t('admin.users.manage', { username: user.username })}
      </h2>
      <form onSubmit={saveRoles}>
        <RoleCheckboxes legend={t('admin.users.roles')} value={roles} onValue={setRoles} />
        <div class="actions">
          <button type="submit" disabled={busy || sameRoles(roles, user.roles)}>
            {t('admin.users.saveRoles')}
          </button>
        </div>
      </form>

      <h3>{t('admin.users.access')}</h3>
      <div class="actions">
        {user.disabled ? (
          <button type="button" class="secondary" disabled={busy} onClick={() => void enable()}>
            {t('admin.users.enable')}
          </button>
        ) : (
          <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming('disable')}>
            {t('admin.users.disable')}
          </button>
        )}
        <button type="button" class="secondary" disabled={busy} onClick={() => void unlock()}>
          {t('admin.users.unlock')}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy || !user.otpEnabled}
          onClick={() => setConfirming('otp')}
        >
          {t('admin.users.resetOtp')}
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => setConfirming('delete')}>
          {t('admin.users.delete')}
        </button>
      </div>

      <h3>{t('admin.gdpr.title')}</h3>
      <p class="hint">{t('admin.gdpr.help')}</p>
      <div class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void download()}>
          {t('admin.gdpr.export')}
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => setConfirming('erase')}>
          {t('admin.gdpr.erase')}
        </button>
      </div>

      <div role="alert">{error && <p class="error">{error}</p>}</div>
      <div class="actions">
        <button type="button" class="secondary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>

      {confirming === 'disable' && (
        <ConfirmDialog
          title={t('admin.users.disableTitle', { username: user.username })}
          confirmLabel={t('admin.users.disable')}
          onClose={close}
          onConfirm={async () => {
            onChanged(await disableUser(user.id));
            close();
            onNotice(t('admin.users.disabled', { username: user.username }));
          }}
        >
          <p>{t('admin.users.disableText')}</p>
        </ConfirmDialog>
      )}
      {confirming === 'otp' && (
        <ConfirmDialog
          title={t('admin.users.resetOtpTitle', { username: user.username })}
          confirmLabel={t('admin.users.resetOtp')}
          onClose={close}
          onConfirm={async () => {
            onChanged(await resetOtp(user.id));
            close();
            onNotice(t('admin.users.otpReset', { username: user.username }));
          }}
        >
          <p>{t('admin.users.resetOtpText')}</p>
        </ConfirmDialog>
      )}
      {confirming === 'delete' && (
        <ConfirmDialog
          title={t('admin.users.deleteTitle', { username: user.username })}
          confirmLabel={t('admin.users.delete')}
          onClose={close}
          onConfirm={async () => {
            await deleteUser(user.id);
            onRemoved(t('admin.users.deleted', { username: user.username }));
          }}
        >
          <p>{t('admin.users.deleteText')}</p>
        </ConfirmDialog>
      )}
      {confirming === 'erase' && (
        <ConfirmDialog
          title={t('admin.gdpr.eraseTitle', { username: user.username })}
          confirmLabel={t('admin.gdpr.erase')}
          typedConfirmation={user.username}
          onClose={close}
          onConfirm={async () => {
            onRemoved(erasureSummary(await eraseUser(user.id), user.username));
          }}
        >
          <p>{t('admin.gdpr.eraseText')}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
