import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export interface ModalProps {
  readonly title: string;
  /** Called when the dialog closes by Escape or by its buttons. */
  readonly onClose: () => void;
  readonly children: ComponentChildren;
}

/**
 * A modal native <dialog>: the browser traps focus inside it and closes it on
 * Escape; the element marked data-initial-focus takes the focus, and the
 * element that opened it gets the focus back when it closes.
 * Mount it to open it, unmount it to close it.
 */
export function Modal({ title, onClose, children }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // The latest onClose, so the effect below runs once per opening.
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const closed = () => closeRef.current();
    dialog.addEventListener('close', closed);
    dialog.showModal();
    // The dialog names the control that should take the focus first (e.g. Cancel before a destructive action).
    dialog.querySelector<HTMLElement>('[data-initial-focus]')?.focus();
    return () => {
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog ref={ref} class="admin-dialog" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
