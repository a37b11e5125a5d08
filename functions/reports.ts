import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/results';
import { CSV } from '../shared/http/routes';
import { auditTrail } from '../shared/runtime/audit';
import { reports } from '../shared/runtime/kpis';
import { maxBodyBytes } from '../shared/runtime/settings';

const csvFile = (name: string) => ({ 'Content-Disposition': `attachment; filename="${name}"` });

export const handler = httpHandler(
  'reports',
  {
    kpiReport: async ({ query }) =>
      ok(await reports().kpiReport(query.granularity, new Date(query.from), new Date(query.to))),
    kpiReportCsv: async ({ query }) => {
      const report = await reports().kpiReport(query.granularity, new Date(query.from), new Date(query.to));
      return { status: 200, body: reports().kpiCsv(report), contentType: CSV, headers: csvFile('kpis.csv') };
    },
    notarizationsReportCsv: async ({ query, principal, requestId }) => {
      const { owner, from, to, limit, cursor } = query;
      const page = await reports().notarizationsCsvPage(
        { ...(owner ? { owner } : {}), from: new Date(from), to: new Date(to) },
        limit,
        cursor,
        principal.userId,
      );
      const next = page.nextCursor
        ? new URLSearchParams({
            ...(owner ? { owner } : {}),
            from,
            to,
            limit: String(limit),
            cursor: page.nextCursor,
          })
        : undefined;
      return {
        status: 200,
        body: page.csv,
        contentType: CSV,
        headers: {
          ...csvFile('notarizations.csv'),
          'Stempel-Rows': String(page.rows),
          ...(next ? { Link: `</v1/reports/notarizations.csv?${next}>; rel="next"` } : {}),
          'Stempel-Request-Id': requestId,
        },
      };
    },
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
