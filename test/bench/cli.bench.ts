/**
 * `npm run bench` (part): the compiled `stempel` CLI. Start-up (`--help`)
 * against a bare `node -e ''` and `stempel hash` on a large file against
 * `openssl dgst -sha256` on the same file, alternating, in the same run.
 * BENCH_HASH_MB sets the file size (default 1024).
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MB = Number(process.env.BENCH_HASH_MB ?? 1024);
const RUNS = 3;
const cli = 'dist/stempel.mjs';
if (!existsSync(cli)) throw new Error('build the CLI first: npm run build:cli');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const timeTool = existsSync('/usr/bin/time');

/** Wall seconds and peak RSS (KB, where /usr/bin/time exists) of one command. */
function measure(command: string, args: string[]) {
  const started = performance.now();
  const run = timeTool
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  const rss = timeTool ? Number(run.stderr.trim().split('\n').at(-1)) : Number.NaN;
  return { seconds, rss, stdout: run.stdout };
}

const node = [] as number[];
const help = [] as number[];
for (let i = 0; i < 7; i++) {
  node.push(measure(process.execPath, ['-e', '']).seconds);
  help.push(measure(process.execPath, [cli, '--help']).seconds);
}

const dir = mkdtempSync(join(tmpdir(), 'stempel-hash-'));
const file = join(dir, 'big.bin');
const fd = openSync(file, 'w');
const block = Buffer.alloc(8 * 1024 * 1024);
for (let written = 0; written < MB * 1024 * 1024; written += block.length)
  writeSync(fd, randomFillSync(block));
closeSync(fd);

const openssl = [] as ReturnType<typeof measure>[];
const stempel = [] as ReturnType<typeof measure>[];
for (let i = 0; i < RUNS; i++) {
  openssl.push(measure('openssl', ['dgst', '-sha256', '-r', file]));
  stempel.push(measure(process.execPath, [cli, 'hash', file]));
}
rmSync(dir, { recursive: true, force: true });
const same = openssl.every((o, i) => o.stdout.split(' ')[0] === stempel[i]?.stdout.trim());
if (!same) throw new Error('stempel hash and openssl disagree');

const secs = (runs: { seconds: number }[]) => median(runs.map((r) => r.seconds));
const mbps = (s: number) => (MB / s).toFixed(0);
console.log('\nThe compiled CLI');
console.log(
  `start-up: stempel --help ${(median(help) * 1000).toFixed(0)} ms, bare node ${(median(node) * 1000).toFixed(0)} ms`,
);
console.log(
  `hash ${MB} MiB: stempel ${mbps(secs(stempel))} MiB/s, openssl ${mbps(secs(openssl))} MiB/s → ${(secs(openssl) / secs(stempel)).toFixed(2)}× openssl's throughput` +
    (timeTool
      ? `; peak memory stempel ${(median(stempel.map((r) => r.rss)) / 1024).toFixed(0)} MiB, openssl ${(median(openssl.map((r) => r.rss)) / 1024).toFixed(0)} MiB`
      : ''),
);
