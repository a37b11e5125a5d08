import { useId, useState } from 'preact/hooks';
import { Field } from '../../components/Field';
import { t } from '../../i18n';
import type { AuditFilter } from './api';
import { localToIso } from './time';

interface FilterInputs {
  from: string;
  to: string;
  actor: string;
  action: string;
  target: string;
}

const EMPTY: FilterInputs = { from: '', to: '', actor: '', action: '', target: '' };

// The API's rule for actions (shared/http/schemas.ts auditQuery), checked here for a quick answer.
const ACTION = /^[a-z_]{1,32}(\.[a-z_]{1,32}){0,3}$/;

function DateTimeField(props: { label: string; name: string; value: string; onValue: (v: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type="datetime-local"
        step={1}
        value={props.value}
        onInput={(event) => props.onValue((event.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

/** The audit query's filters; submitting applies them (and starts again at the first page). */
export function AuditFilters({ onApply }: { readonly onApply: (filter: AuditFilter) => void }) {
  const [inputs, setInputs] = useState<FilterInputs>(EMPTY);
  const [error, setError] = useState<string>();
  const set = (key: keyof FilterInputs) => (value: string) => setInputs((now) => ({ ...now, [key]: value }));

  const apply = (event: Event) => {
    event.preventDefault();
    const action = inputs.action.trim();
    if (action && !ACTION.test(action)) return setError(t('admin.audit.actionRule'));
    setError(undefined);
    onApply({
      from: localToIso(inputs.from),
      to: localToIso(inputs.to),
      actor: inputs.actor.trim() || undefined,
      action: action || undefined,
      target: inputs.target.trim() || undefined,
    });
  };

  const reset = () => {
    setInputs(EMPTY);
    setError(undefined);
    onApply({});
  };

  return (
    <form class="admin-filters" onSubmit={apply} noValidate aria-label={t('admin.audit.filters')}>
      <DateTimeField label={t('admin.audit.from')} name="from" value={inputs.from} onValue={set('from')} />
      <DateTimeField label={t('admin.audit.to')} name="to" value={inputs.to} onValue={set('to')} />
      <Field
        label={t('admin.audit.actor')}
        hint={t('admin.audit.actorHint')}
        name="actor"
        spellcheck={false}
        value={inputs.actor}
        onValue={set('actor')}
      />
      <Field
        label={t('admin.audit.action')}
        hint={t('admin.audit.actionHint')}
        name="action"
        spellcheck={false}
        value={inputs.action}
        onValue={set('action')}
      />
      <Field
        label={t('admin.audit.target')}
        hint={t('admin.audit.targetHint')}
        name="target"
        spellcheck={false}
        value={inputs.target}
        onValue={set('target')}
      />
      <p class="hint admin-filters-note">{t('admin.audit.rangeHint')}</p>
      <div role="alert" class="admin-filters-note">
        {error && <p class="error">{error}</p>}
      </div>
      <div class="actions admin-filters-note">
        <button type="submit">{t('admin.audit.apply')}</button>
        <button type="button" class="secondary" onClick={reset}>
          {t('admin.audit.reset')}
        </button>
      </div>
    </form>
  );
}
