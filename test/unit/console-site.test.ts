import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleSecurityHeaders } from '../../shared/http/console-headers';
import { type ConsoleSite, serveConsole } from '../../shared/local/console-site';

let site: ConsoleSite;
const text = (r: { body: string }) => Buffer.from(r.body, 'base64').toString('utf8');

beforeAll(() => {
  const directory = mkdtempSync(join(tmpdir(), 'console-'));
  mkdirSync(join(directory, 'assets'));
  writeFileSync(join(directory, 'index.html'), '<!doctype html><title>Stempel</title>');
  writeFileSync(join(directory, 'assets', 'app-1a2b.js'), 'export {};');
  writeFileSync(join(tmpdir(), 'outside.txt'), 'secret');
  site = {
    directory,
    headers: consoleSecurityHeaders({ https: false, connectSources: ['http://127.0.0.1:9000'] }),
    config: async () => ({ apiBase: '', stage: 'local' }),
  };
});

describe('the console as npm start serves it', () => {
  it('answers app routes without an extension with index.html, uncached, with the security headers', async () => {
    for (const path of ['/', '/notarize', '/admin/users']) {
      const res = await serveConsole(site, path);
      expect(res.statusCode).toBe(200);
      expect(text(res)).toContain('<title>Stempel</title>');
      expect(res.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
      expect(res.headers?.['Cache-Control']).toBe('no-cache');
      expect(res.headers?.['X-Frame-Options']).toBe('DENY');
    }
  });

  it('serves hashed assets as immutable, with their media type', async () => {
    const res = await serveConsole(site, '/assets/app-1a2b.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers?.['Cache-Control']).toContain('immutable');
  });

  it('answers config.json from the runtime', async () => {
    const res = await serveConsole(site, '/config.json');
    expect(JSON.parse(text(res))).toEqual({ apiBase: '', stage: 'local' });
  });

  it('never serves files outside the build, nor missing ones', async () => {
    for (const path of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/missing.js', '/%E0%A4%A.js']) {
      const res = await serveConsole(site, path);
      expect(res.statusCode).toBe(404);
      expect(text(res)).not.toContain('secret');
    }
  });

  it('has a CSP without inline scripts that lets the page reach only itself and the given origins', () => {
    const csp =
      consoleSecurityHeaders({ https: false, connectSources: ['http://127.0.0.1:9000'] })[
        'Content-Security-Policy'
      ] ?? '';
    const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));
    expect(directive('script-src')).toBe("script-src 'self' 'wasm-unsafe-eval'");
    expect(directive('connect-src')).toBe("connect-src 'self' http://127.0.0.1:9000");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });
});
