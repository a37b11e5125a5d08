import { useState } from 'preact/hooks';
import { apiFetch } from '../../api/client';
import { saveBlob } from '../../components/download';
import { t } from '../../i18n';
import { type KpiRange, query } from './api';
import { adminError } from './errors';
import { fetchPagedCsv } from './paged-csv';

/** The CSV reports of the chosen range: the key figures, and every notarization received in it. */
export function ReportDownloads({ range }: { readonly range: KpiRange }) {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();
  const stem = `${range.from.slice(0, 10)}_${range.to.slice(0, 10)}`;

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setStatus(t('common.working'));
    try {
      await work();
    } catch (err) {
      setStatus('');
      setError(adminError(err));
    } finally {
      setBusy(false);
    }
  };

  const kpisCsv = () =>
    run(async () => {
      const res = await apiFetch('GET', `/v1/reports/kpis.csv${query({ ...range })}`);
      saveBlob(await res.blob(), `stempel-kpis-${range.granularity}-${stem}.csv`);
      setStatus(t('admin.reports.downloaded'));
    });

  const notarizationsCsv = () =>
    run(async () => {
      const path = `/v1/reports/notarizations.csv${query({ from: range.from, to: range.to })}`;
      const blob = await fetchPagedCsv(path, (pages) => setStatus(t('admin.reports.pages', { pages })));
      saveBlob(blob, `stempel-notarizations-${stem}.csv`);
      setStatus(t('admin.reports.downloaded'));
    });

  return (
    <section class="card" aria-labelledby="report-downloads-title">
      <h2 id="report-downloads-title">{t('admin.reports.downloads')}</h2>
      <div class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void kpisCsv()}>
          {t('admin.reports.kpisCsv')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void notarizationsCsv()}>
          {t('admin.reports.notarizationsCsv')}
        </button>
      </div>
      <p role="status" aria-live="polite">
        {status}
      </p>
      <div role="alert">{error && <p class="error">{error}</p>}</div>
    </section>
  );
}
