import { formatDateTime, formatNumber, t } from '../../i18n';
import type { AuditEvent } from './api';

const describeChanges = (changes: AuditEvent['changes']) =>
  changes
    ? Object.entries(changes)
        .map(([field, { from, to }]) => `${field}: ${JSON.stringify(from)} → ${JSON.stringify(to)}`)
        .join('; ')
    : '';

/** The audit events as a table, newest first as the API answers them. */
export function AuditTable({
  events,
  busy,
}: {
  readonly events: readonly AuditEvent[];
  readonly busy: boolean;
}) {
  return (
    <div class="table-scroll">
      <table class="admin-table" aria-busy={busy}>
        <caption>{t('admin.audit.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.audit.at')}</th>
            <th scope="col">{t('admin.audit.action')}</th>
            <th scope="col">{t('admin.audit.actor')}</th>
            <th scope="col">{t('admin.audit.target')}</th>
            <th scope="col">{t('admin.audit.outcome')}</th>
            <th scope="col">{t('admin.audit.changes')}</th>
            <th scope="col">{t('admin.audit.logIndex')}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>
                <time dateTime={event.at}>{formatDateTime(event.at)}</time>
              </td>
              <th scope="row" class="mono">
                {event.action}
              </th>
              <td class="mono">
                {event.actor}
                {event.personal?.usernames && (
                  <span class="hint admin-block">{event.personal.usernames.join(', ')}</span>
                )}
              </td>
              <td class="mono">{event.target}</td>
              <td>
                <span class={`badge ${event.outcome === 'success' ? 'sealed' : 'failed'}`}>
                  {t(event.outcome === 'success' ? 'admin.audit.success' : 'admin.audit.failure')}
                </span>
                {event.reason && <span class="mono admin-block">{event.reason}</span>}
              </td>
              <td class="mono">{describeChanges(event.changes)}</td>
              <td>
                {event.logIndex === undefined ? t('admin.audit.unsealed') : formatNumber(event.logIndex)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
