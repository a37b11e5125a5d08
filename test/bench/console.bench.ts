/**
 * `npm run bench` (part): the web console's sign-in page against its budget.
 * - initial JS: every script the login page loads before it shows the sign-in
 *   form (as Chromium requested them), gzip -9, against INITIAL_JS_BUDGET_KB;
 * - time to first render: navigation start to the sign-in heading in the DOM,
 *   cold cache (a new browser context per run), median and worst of
 *   BENCH_RENDER_RUNS runs, against FIRST_RENDER_BUDGET_MS.
 * Served by the local runtime as `npm start` serves it (strict CSP included).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

const renders: number[] = [];
let scripts = new Set<string>();
try {
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requested = new Set<string>();
    page.on('request', (request) => {
      if (request.resourceType() === 'script') requested.add(new URL(request.url()).pathname);
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
    await page.goto(`${runtime.url}/`);
    await page.waitForSelector('#login-title');
    renders.push(Number(await page.evaluate('window.signInRenderedAt')));
    scripts = requested;
    await context.close();
  }
} finally {
  await browser.close();
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
if (totalKb > INITIAL_JS_BUDGET_KB || median > FIRST_RENDER_BUDGET_MS) process.exitCode = 1;
