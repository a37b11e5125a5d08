import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * The console as CloudFront serves it in AWS (docs/console.md), for `npm start`:
 * the built files of web/dist, `/config.json` made by the runtime, paths
 * without an extension answered with index.html (the app routes them), and
 * the same security headers.
 */
export interface ConsoleSite {
  /** The Vite build (web/dist). */
  readonly directory: string;
  /** What `/config.json` answers. */
  readonly config: () => Promise<unknown>;
  /** Security headers of every answer (CSP, frame and referrer rules). */
  readonly headers: Readonly<Record<string, string>>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Vite's hashed output never changes under one name; everything else is asked for again. */
const cacheControl = (path: string) =>
  path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';

const answer = (
  site: ConsoleSite,
  status: number,
  contentType: string,
  body: Buffer,
  cache: string,
): APIGatewayProxyResult => ({
  statusCode: status,
  headers: { ...site.headers, 'Content-Type': contentType, 'Cache-Control': cache },
  body: body.toString('base64'),
  isBase64Encoded: true,
});

/** The answer to a GET or HEAD of `pathname` outside /v1/. */
export async function serveConsole(site: ConsoleSite, pathname: string): Promise<APIGatewayProxyResult> {
  if (pathname === '/config.json')
    return answer(
      site,
      200,
      CONTENT_TYPES['.json'] as string,
      Buffer.from(JSON.stringify(await site.config())),
      'no-cache',
    );
  // As the CloudFront function does: a path without an extension is a route of the app.
  const wanted = extname(pathname) === '' ? '/index.html' : pathname;
  const notFound = () =>
    answer(site, 404, 'text/plain; charset=utf-8', Buffer.from('Not found\n'), 'no-cache');
  let decoded: string;
  try {
    decoded = decodeURIComponent(wanted);
  } catch {
    return notFound();
  }
  const file = normalize(join(site.directory, decoded));
  if (!file.startsWith(site.directory + sep)) return notFound();
  try {
    if (!(await stat(file)).isFile()) return notFound();
  } catch {
    return notFound();
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  return answer(site, 200, type, await readFile(file), cacheControl(wanted));
}
