import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { ApiClient } from './api-client';

export interface NotarizationsReportQuery {
  readonly from: string;
  readonly to: string;
  readonly owner?: string;
  readonly pageSize: number;
}

/**
 * Downloads the notarizations report page by page (following each page's
 * `Link: rel="next"`) into `out`, writing each page as it arrives: memory
 * holds one page, however many rows the report has. Returns the rows written.
 */
export async function downloadNotarizationsReport(
  api: ApiClient,
  query: NotarizationsReportQuery,
  out: string,
  onPage: (rows: number) => void = () => undefined,
): Promise<number> {
  const file = createWriteStream(out);
  const params = new URLSearchParams({
    from: query.from,
    to: query.to,
    limit: String(query.pageSize),
    ...(query.owner ? { owner: query.owner } : {}),
  });
  let path: string | undefined = `/v1/reports/notarizations.csv?${params}`;
  let rows = 0;
  try {
    while (path) {
      const { text, headers } = await api.getText(path);
      if (!file.write(text)) await once(file, 'drain');
      const count = Number(headers.get('stempel-rows') ?? 0);
      rows += count;
      onPage(count);
      path = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
    }
  } finally {
    file.end();
    await once(file, 'close');
  }
  return rows;
}
