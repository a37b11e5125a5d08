import './strings';
import './admin.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n';
import { AuditExport } from './AuditExport';
import { AuditFilters } from './AuditFilters';
import { AuditTable } from './AuditTable';
import { type AuditEvent, type AuditFilter, auditEvents } from './api';
import { adminError, isAbort } from './errors';

/** Audit trail (auditor, admin): the filtered events page by page, and their CSV export. */
export default function Audit() {
  const [filter, setFilter] = useState<AuditFilter>({});
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [summary, setSummary] = useState('');
  // Only the latest query may fill the table: a slow earlier answer is dropped.
  const current = useRef<AbortController | undefined>(undefined);

  const load = async (applied: AuditFilter, after?: string) => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setLoading(true);
    setError(undefined);
    try {
      const page = await auditEvents(applied, after, 25, controller.signal);
      const shown = after ? events.length + page.items.length : page.items.length;
      setEvents((now) => (after ? [...now, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setSummary(t(page.nextCursor ? 'admin.audit.shownMore' : 'admin.audit.shown', { count: shown }));
    } catch (err) {
      if (isAbort(err)) return;
      setError(adminError(err));
      setSummary('');
    } finally {
      if (current.current === controller) setLoading(false);
    }
  };

  useEffect(() => {
    void load(filter);
    return () => current.current?.abort();
  }, [filter]);

  return (
    <>
      <h1>{t('admin.audit.title')}</h1>
      <section class="card" aria-labelledby="audit-filter-title">
        <h2 id="audit-filter-title">{t('admin.audit.filters')}</h2>
        <AuditFilters onApply={(applied) => setFilter({ ...applied })} />
      </section>
      <AuditExport filter={filter} />
      <p role="status" aria-live="polite">
        {loading ? t('app.loading') : summary}
      </p>
      <div role="alert">{error && <p class="error">{error}</p>}</div>
      <AuditTable events={events} busy={loading} />
      {!loading && !error && events.length === 0 && <p>{t('admin.audit.empty')}</p>}
      {cursor && !loading && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void load(filter, cursor)}>
            {t('admin.more')}
          </button>
        </div>
      )}
    </>
  );
}
