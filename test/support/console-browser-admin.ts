import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { localConsoleHeaders } from '../../shared/local/console-headers';
import { type ConsoleSite, serveConsole } from '../../shared/local/console-site';

/** Debian's Chromium (apt-get install chromium); playwright-core downloads no browser of its own. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The console built into a fresh directory, so parallel tests never read a half-written web/dist. */
export function buildConsole(): { directory: string; remove: () => void } {
  const directory = mkdtempSync(join(tmpdir(), 'stempel-console-'));
  execFileSync(
    'npx',
    [
      'vite',
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      directory,
      '--emptyOutDir',
      '--logLevel',
      'error',
    ],
    { stdio: 'inherit' },
  );
  return { directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

// Hop-by-hop and body-framing headers are the proxy's own business.
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

async function proxy(apiUrl: string, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (NOT_FORWARDED.has(name) || value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const answer = await fetch(`${apiUrl}${req.url}`, {
    method: req.method,
    headers,
    body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    redirect: 'manual',
  });
  const body = Buffer.from(await answer.arrayBuffer());
  const out: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    // fetch has decoded the body already.
    if (!NOT_FORWARDED.has(name) && name !== 'content-encoding' && name !== 'set-cookie') out[name] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  res.writeHead(answer.status, out).end(body);
}

/**
 * The console as `npm start` serves it (its files, /config.json, the strict
 * CSP), on its own origin, with /v1/ passed on to the shared test runtime: so
 * the app calls the API same-origin, as it does in production.
 */
export async function serveConsoleWithApi(
  directory: string,
  apiUrl: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const site: ConsoleSite = {
    directory,
    headers: localConsoleHeaders([]),
    config: async () => ({ apiBase: '', liveUrl: null, verifierKey: null, stage: 'test' }),
  };
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://console').pathname;
    const handled = pathname.startsWith('/v1/')
      ? proxy(apiUrl, req, res)
      : serveConsole(site, pathname).then((answer) => {
          res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
          res.end(Buffer.from(answer.body, answer.isBase64Encoded ? 'base64' : 'utf8'));
        });
    handled.catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A headless Chromium with a fresh profile, accepting downloads; `close` removes both. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'stempel-chromium-admin-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
    locale: 'en-US',
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
