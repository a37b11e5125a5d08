import { stringify } from 'csv-stringify/sync';
import type { KpiStore } from '../ports/kpi-store';
import type { Notarization, NotarizationStore } from '../ports/notarization-store';
import type { Cursors } from './cursors';
import { StempelError } from './errors';
import { type Granularity, KPI_COUNTS, type KpiRow, kpiRows, periodStart, reportPeriods } from './kpis';
import { mapLimit } from './map-limit';

/** Per-period queries a report runs at once. */
const QUERIES_AT_ONCE = 8;

/** The longest time range of one notarizations report (pages of it are fetched one by one). */
export const MAX_REPORT_DAYS = 366;
const DAY_MS = 86_400_000;

/** RFC 4180 text: CRLF line ends, quotes where needed, and formulas neutralised (OWASP CSV injection). */
export const csv = (rows: readonly (readonly unknown[])[]): string =>
  stringify(rows as unknown[][], { escape_formulas: true, record_delimiter: 'windows' });

export const KPI_COLUMNS = [
  'period',
  ...KPI_COUNTS,
  'activeUsers',
  'users',
  'usersWith2fa',
  'twoFactorAdoptionPercent',
] as const satisfies readonly (keyof KpiRow)[];

export const NOTARIZATION_COLUMNS = [
  'id',
  'kind',
  'owner',
  'sha256',
  'name',
  'receivedAt',
  'status',
  'logIndex',
  'sealedAt',
  'fileSize',
] as const;

const notarizationRecord = (n: Notarization) => [
  n.id,
  n.timestamp ? 'timestamp' : 'document',
  n.owner,
  n.sha256,
  n.name ?? '',
  n.receivedAt,
  n.status,
  n.logIndex ?? '',
  n.sealedAt ?? '',
  n.file?.size ?? '',
];

export interface KpiReport {
  readonly granularity: Granularity;
  readonly from: string;
  readonly to: string;
  readonly periods: readonly KpiRow[];
  /** Each user's counts per period, for the users who did something counted (notarized, verified, …). */
  readonly byUser: readonly ({ readonly period: string; readonly userId: string } & Record<
    (typeof KPI_COUNTS)[number],
    number
  >)[];
}

/** Key figures and CSV reports for admins (docs/reports.md). */
export class Reports {
  constructor(
    private readonly kpis: KpiStore,
    private readonly notarizations: Pick<NotarizationStore, 'listBetween'>,
    private readonly cursors: Cursors,
  ) {}

  async kpiReport(granularity: Granularity, from: Date, to: Date): Promise<KpiReport> {
    const periods = reportPeriods(granularity, from, to);
    const first = periods[0] as string;
    const [stored, base, users, active] = await Promise.all([
      this.kpis.totals(granularity, first, periods.at(-1) as string),
      this.kpis.gaugesBefore(periodStart(granularity, first).toISOString().slice(0, 10)),
      mapLimit(periods, QUERIES_AT_ONCE, (p) => this.kpis.byUser(granularity, p)),
      mapLimit(periods, QUERIES_AT_ONCE, (p) => this.kpis.activeUsers(granularity, p)),
    ]);
    const withActive = new Map(periods.map((p, i) => [p, { ...stored.get(p), activeUsers: active[i] }]));
    return {
      granularity,
      from: from.toISOString(),
      to: to.toISOString(),
      periods: kpiRows(periods, withActive, base),
      byUser: users.flat().map(({ period, userId, figures }) => ({
        period,
        userId,
        notarizations: figures.notarizations ?? 0,
        verifications: figures.verifications ?? 0,
        receiptsFetched: figures.receiptsFetched ?? 0,
        logins: figures.logins ?? 0,
        loginFailures: figures.loginFailures ?? 0,
      })),
    };
  }

  kpiCsv(report: KpiReport): string {
    return csv([KPI_COLUMNS, ...report.periods.map((row) => KPI_COLUMNS.map((c) => row[c]))]);
  }

  /**
   * One page of the notarizations report as CSV (with the header on the first
   * page only, so pages concatenate into one file), and the cursor of the next.
   */
  async notarizationsCsvPage(
    filter: { readonly owner?: string; readonly from: Date; readonly to: Date },
    limit: number,
    cursor: string | undefined,
    caller: string,
  ): Promise<{ readonly csv: string; readonly rows: number; readonly nextCursor?: string }> {
    if (filter.from.getTime() > filter.to.getTime())
      throw new StempelError('invalid', 'invalid_range', '`from` is after `to`.');
    if (filter.to.getTime() - filter.from.getTime() > MAX_REPORT_DAYS * DAY_MS)
      throw new StempelError('invalid', 'invalid_range', `A report spans at most ${MAX_REPORT_DAYS} days.`);
    const query = { owner: filter.owner, from: filter.from.toISOString(), to: filter.to.toISOString() };
    // The cursor is bound to the query as asked: it cannot be replayed against another owner or range.
    const binding = { listing: `reports:notarizations:${JSON.stringify(query)}`, caller };
    const position = await this.cursors.open(cursor, binding);
    const page = await this.notarizations.listBetween(
      { ...(query.owner ? { owner: query.owner } : {}), from: query.from, to: query.to },
      limit,
      position,
    );
    const sealed = await this.cursors.sealPage(page, binding);
    const records = page.items.map(notarizationRecord);
    return {
      csv: csv(cursor === undefined ? [NOTARIZATION_COLUMNS, ...records] : records),
      rows: records.length,
      ...(sealed.nextCursor ? { nextCursor: sealed.nextCursor } : {}),
    };
  }
}
