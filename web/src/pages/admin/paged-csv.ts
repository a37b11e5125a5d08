import { apiFetch } from '../../api/client';
import { config } from '../../config';

/** The target of a `Link: <…>; rel="next"` header (RFC 8288), or undefined on the last page. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/** A link as an API path for apiFetch: the server may answer with an absolute URL or a path. */
function apiPath(link: string): string {
  const base = config().apiBase;
  if (base && link.startsWith(base)) return link.slice(base.length);
  if (/^https?:/i.test(link)) {
    const url = new URL(link);
    return `${url.pathname}${url.search}`;
  }
  return link;
}

/**
 * Fetches a CSV report and every page after it (Link rel="next"), keeping the
 * pages as they arrive: the header row comes on the first page only, so they
 * concatenate into one file.
 */
export async function fetchPagedCsv(
  path: string,
  onPage: (pages: number) => void,
  signal?: AbortSignal,
): Promise<Blob> {
  const parts: Blob[] = [];
  let next: string | undefined = path;
  while (next) {
    const res = await apiFetch('GET', apiPath(next), { signal });
    parts.push(await res.blob());
    onPage(parts.length);
    next = nextLink(res.headers.get('link'));
  }
  return new Blob(parts, { type: 'text/csv;charset=utf-8' });
}
