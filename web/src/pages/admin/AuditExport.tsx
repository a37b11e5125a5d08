import { useEffect, useRef, useState } from 'preact/hooks';
import { fileStamp, saveBlob } from '../../components/download';
import { t } from '../../i18n';
import type { AuditFilter } from './api';
import { adminError, isAbort } from './errors';

type Progress = { events: number; pages: number };

/** Exports every event of the applied filter as CSV, page by page, with its progress and a way to stop. */
export function AuditExport({ filter }: { readonly filter: AuditFilter }) {
  const [progress, setProgress] = useState<Progress>();
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string>();
  const running = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => running.current?.abort(), []);

  const start = async () => {
    const controller = new AbortController();
    running.current = controller;
    setError(undefined);
    setMessage('');
    setProgress({ events: 0, pages: 0 });
    try {
      // Only the export loads csv-stringify, and only when asked.
      const { exportAuditCsv } = await import('./audit-csv');
      let total = 0;
      const blob = await exportAuditCsv(
        filter,
        (events, pages) => {
          total = events;
          setProgress({ events, pages });
        },
        controller.signal,
      );
      saveBlob(blob, `stempel-audit-${fileStamp()}.csv`);
      setMessage(t('admin.audit.exported', { count: total }));
    } catch (err) {
      setMessage(isAbort(err) ? t('admin.audit.exportCancelled') : '');
      if (!isAbort(err)) setError(adminError(err));
    } finally {
      running.current = undefined;
      setProgress(undefined);
    }
  };

  return (
    <section class="card" aria-labelledby="audit-export-title">
      <h2 id="audit-export-title">{t('admin.audit.exportTitle')}</h2>
      <p class="hint">{t('admin.audit.exportHelp')}</p>
      <div class="actions">
        <button type="button" disabled={progress !== undefined} onClick={() => void start()}>
          {t('admin.audit.export')}
        </button>
        {progress && <progress aria-label={t('admin.audit.exportTitle')} />}
        {progress && (
          <button type="button" class="secondary" onClick={() => running.current?.abort()}>
            {t('common.cancel')}
          </button>
        )}
      </div>
      <p role="status" aria-live="polite">
        {progress ? t('admin.audit.exporting', { events: progress.events, pages: progress.pages }) : message}
      </p>
      <div role="alert">{error && <p class="error">{error}</p>}</div>
    </section>
  );
}
