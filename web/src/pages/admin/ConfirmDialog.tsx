import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Field } from '../../components/Field';
import { t } from '../../i18n';
import { adminError } from './errors';
import { Modal } from './Modal';

export interface ConfirmDialogProps {
  readonly title: string;
  readonly children: ComponentChildren;
  readonly confirmLabel: string;
  /** When set, the admin must type exactly this (e.g. the username) before confirming. */
  readonly typedConfirmation?: string;
  /** Does the work; a failure is shown in the dialog, which then stays open. */
  readonly onConfirm: () => Promise<void>;
  readonly onClose: () => void;
}

/** Asks before a consequential action, and shows the API's answer if it fails. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmed = props.typedConfirmation === undefined || typed === props.typedConfirmation;

  const confirm = async (event: Event) => {
    event.preventDefault();
    if (!confirmed) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
    } catch (err) {
      setError(adminError(err));
      setBusy(false);
    }
  };

  return (
    <Modal title={props.title} onClose={props.onClose}>
      <form onSubmit={confirm}>
        {props.children}
        {props.typedConfirmation !== undefined && (
          <Field
            label={t('admin.confirm.typeToConfirm', { text: props.typedConfirmation })}
            name="confirmation"
            autoComplete="off"
            spellcheck={false}
            value={typed}
            onValue={setTyped}
          />
        )}
        <div role="alert">{error && <p class="error">{error}</p>}</div>
        <div class="actions">
          {/* Cancel comes first and takes the focus: Enter alone must not confirm. */}
          <button type="button" class="secondary" data-initial-focus onClick={props.onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="danger" disabled={busy || !confirmed}>
            {busy ? t('common.working') : props.confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
