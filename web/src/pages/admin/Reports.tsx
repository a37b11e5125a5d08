import './strings';
import './admin.css';
import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { formatNumber, t } from '../../i18n';
import { type Granularity, type KpiRange, type KpiReport, kpis } from './api';
import { adminError } from './errors';
import { KpiChart } from './KpiChart';
import { formatPercent, KpiTable } from './KpiTable';
import { ReportDownloads } from './ReportDownloads';
import { dayEnd, dayStart, utcDay } from './time';

const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];
const formatCount = (value: number) => formatNumber(value, { maximumFractionDigits: 0 });

function RangeForm({ onApply }: { readonly onApply: (range: KpiRange) => void }) {
  const id = useId();
  const [from, setFrom] = useState(utcDay(29));
  const [to, setTo] = useState(utcDay());
  const [granularity, setGranularity] = useState<Granularity>('day');
  const submit = (event: Event) => {
    event.preventDefault();
    if (from && to) onApply({ from: dayStart(from), to: dayEnd(to), granularity });
  };
  const value = (event: Event) => (event.currentTarget as HTMLInputElement).value;
  return (
    <form class="admin-filters" onSubmit={submit}>
      <div class="field">
        <label for={`${id}-from`}>{t('admin.reports.from')}</label>
        <input id={`${id}-from`} type="date" required value={from} onInput={(e) => setFrom(value(e))} />
      </div>
      <div class="field">
        <label for={`${id}-to`}>{t('admin.reports.to')}</label>
        <input id={`${id}-to`} type="date" required value={to} onInput={(e) => setTo(value(e))} />
      </div>
      <div class="field">
        <label for={`${id}-granularity`}>{t('admin.reports.granularity')}</label>
        <select
          id={`${id}-granularity`}
          value={granularity}
          onChange={(e) => setGranularity((e.currentTarget as HTMLSelectElement).value as Granularity)}
        >
          {GRANULARITIES.map((g) => (
            <option key={g} value={g}>
              {t(`admin.reports.${g}`)}
            </option>
          ))}
        </select>
      </div>
      <p class="hint admin-filters-note">{t('admin.reports.utcHint')}</p>
      <div class="actions admin-filters-note">
        <button type="submit">{t('admin.reports.show')}</button>
      </div>
    </form>
  );
}

function Figures({ report }: { readonly report: KpiReport }) {
  const tableId = useId();
  const periods = useMemo(() => report.periods.map((p) => p.period), [report]);
  const notarizations = useMemo(() => report.periods.map((p) => p.notarizations), [report]);
  const adoption = useMemo(() => report.periods.map((p) => p.twoFactorAdoptionPercent), [report]);
  return (
    <>
      <div class="admin-charts">
        <figure class="card">
          <figcaption>{t('admin.reports.notarizationsChart')}</figcaption>
          <KpiChart
            label={t('admin.reports.notarizationsChart')}
            describedBy={tableId}
            periods={periods}
            values={notarizations}
            kind="bars"
            seriesLabel={t('admin.reports.notarizations')}
            formatValue={formatCount}
          />
        </figure>
        <figure class="card">
          <figcaption>{t('admin.reports.adoptionChart')}</figcaption>
          <KpiChart
            label={t('admin.reports.adoptionChart')}
            describedBy={tableId}
            periods={periods}
            values={adoption}
            kind="line"
            seriesLabel={t('admin.reports.adoption')}
            formatValue={formatPercent}
            maxValue={100}
          />
        </figure>
      </div>
      <KpiTable id={tableId} periods={report.periods} />
    </>
  );
}

/** Reports (admin): key figures per period as charts and a table, and the CSV downloads. */
export default function Reports() {
  const [range, setRange] = useState<KpiRange>({
    from: dayStart(utcDay(29)),
    to: dayEnd(utcDay()),
    granularity: 'day',
  });
  const [report, setReport] = useState<KpiReport>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(undefined);
    kpis(range)
      .then((answer) => current && setReport(answer))
      .catch((err: unknown) => {
        if (!current) return;
        setReport(undefined);
        setError(adminError(err));
      })
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [range]);

  return (
    <>
      <h1>{t('admin.reports.title')}</h1>
      <section class="card" aria-labelledby="report-range-title">
        <h2 id="report-range-title">{t('admin.reports.range')}</h2>
        <RangeForm onApply={setRange} />
      </section>
      <p role="status" aria-live="polite">
        {loading ? t('app.loading') : report && t('admin.reports.shown', { periods: report.periods.length })}
      </p>
      <div role="alert">{error && <p class="error">{error}</p>}</div>
      {report && <Figures report={report} />}
      <ReportDownloads range={range} />
    </>
  );
}
