import { useId } from 'preact/hooks';

export interface FieldProps {
  readonly label: string;
  readonly value: string;
  readonly onValue: (value: string) => void;
  readonly name: string;
  readonly hint?: string;
  readonly type?: 'text' | 'password';
  readonly autoComplete?: string;
  readonly inputMode?: 'text' | 'numeric';
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly required?: boolean;
  readonly autoFocus?: boolean;
  readonly spellcheck?: boolean;
}

/** A labelled text input; the label is always visible (WCAG 3.3.2) and tied to the input by id. */
export function Field({ label, value, onValue, hint, type = 'text', ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const common = {
    ...input,
    id,
    value,
    'aria-describedby': hint ? hintId : undefined,
    onInput: (event: Event) => onValue((event.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'password' ? <input type="password" {...common} /> : <input type="text" {...common} />}
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
