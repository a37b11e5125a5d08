/**
 * `npm run bench` (part): the web console's sign-in page against its budget.
 * - initial JS: every script the login page loads before it shows the sign-in
 *   form (as Chromium requested them), gzip -9, against INITIAL_JS_BUDGET_KB;
 * - time to first render: navigation start to the sign-in heading in the DOM,
 *   cold cache (a new browser context per run), median and worst of
 *   BENCH_RENDER_RUNS runs, against FIRST_RENDER_BUDGET_MS.
 * Served by the local runtime as `npm start` serves it (strict CSP included).
 * Beside it, the baseline of the same run: a static page with the console's
 * stylesheet and the same heading but no script, from a plain node server,
 * measured the same way; the ratio is what means something on a shared machine.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startLocalRuntime } from '../../shared/local/runtime';
import { CHROMIUM, CHROMIUM_ARGS, ensureConsoleBuilt } from '../support/browser';

const INITIAL_JS_BUDGET_KB = 60;
const FIRST_RENDER_BUDGET_MS = 1000;
const RUNS = Number(process.env.BENCH_RENDER_RUNS ?? 10);

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
ensureConsoleBuilt();
const dataDir = mkdtempSync(join(tmpdir(), 'stempel-console-bench-'));
const runtime = await startLocalRuntime({
  dataDir,
  port: 0,
  bootstrapAdminPassword: 'bench-Initial-pass-1',
  consoleDirectory: 'web/dist',
});
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });

// The baseline: no script at all, the same stylesheet and heading.
const stylesheet = readdirSync('web/dist/assets').find((name) => name.endsWith('.css'));
const baselineHtml = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stempel</title>${
  stylesheet ? `<link rel="stylesheet" href="/assets/${stylesheet}">` : ''
}</head><body><main><h1 id="login-title">Sign in</h1><form><label>Username <input></label><label>Password <input type="password"></label><button>Sign in</button></form></main></body></html>`;
const baseline = createServer((req, res) => {
  const css = req.url === `/assets/${stylesheet}`;
  res.writeHead(200, { 'content-type': css ? 'text/css' : 'text/html; charset=utf-8' });
  res.end(css ? readFileSync(join('web/dist', req.url as string)) : baselineHtml);
});
await new Promise<void>((ready) => baseline.listen(0, '127.0.0.1', ready));
const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`;

/** Navigation start until #login-title is in the DOM, in a fresh context (cold cache). */
async function renderTime(url: string, scripts?: Set<string>): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts?.add(new URL(request.url()).pathname);
  });
  // Runs before the app (page code, as text: this file is compiled without the DOM's types).
  await page.addInitScript({
    content: `{
      const observer = new MutationObserver(() => {
        if (!document.getElementById('login-title')) return;
        window.signInRenderedAt = performance.now();
        observer.disconnect();
      });
      observer.observe(document, { childList: true, subtree: true });
    }`,
  });
  await page.goto(url);
  await page.waitForSelector('#login-title');
  const at = Number(await page.evaluate('window.signInRenderedAt'));
  await context.close();
  return at;
}

const renders: number[] = [];
const baselines: number[] = [];
let scripts = new Set<string>();
try {
  for (let run = 0; run < RUNS; run++) {
    scripts = new Set<string>();
    renders.push(await renderTime(`${runtime.url}/`, scripts));
    baselines.push(await renderTime(baselineUrl));
  }
} finally {
  await browser.close();
  baseline.close();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const gzipped = [...scripts].map((path) => {
  const bytes = readFileSync(join('web/dist', path));
  return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});
const totalKb = gzipped.reduce((sum, s) => sum + s.gzip, 0) / 1024;
const sorted = [...renders].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] as number;
const worst = sorted[sorted.length - 1] as number;
const baselineMedian = [...baselines].sort((a, b) => a - b)[Math.floor(baselines.length / 2)] as number;

console.log('\nWeb console: the sign-in page (local runtime, Chromium headless, cold cache)');
for (const s of gzipped)
  console.log(
    `  ${s.path.padEnd(40)} ${(s.raw / 1024).toFixed(1).padStart(7)} KB raw ${(s.gzip / 1024).toFixed(1).padStart(6)} KB gzip`,
  );
const verdict = (ok: boolean) => (ok ? 'within budget' : 'OVER BUDGET');
console.log(
  `initial JS (gzip -9)       ${totalKb.toFixed(1)} KB   budget ${INITIAL_JS_BUDGET_KB} KB: ${verdict(totalKb <= INITIAL_JS_BUDGET_KB)}`,
);
console.log(
  `first render of sign-in    median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms of ${RUNS}   budget ${FIRST_RENDER_BUDGET_MS} ms (median): ${verdict(median <= FIRST_RENDER_BUDGET_MS)}`,
);
console.log(
  `  baseline (static page, no script)  median ${baselineMedian.toFixed(0)} ms   console/baseline ${(median / baselineMedian).toFixed(2)}×`,
);
if (totalKb > INITIAL_JS_BUDGET_KB || median > FIRST_RENDER_BUDGET_MS) process.exitCode = 1;
