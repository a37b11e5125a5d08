/**
 * `npm run bench` (part): bundle size and module init of every Lambda
 * function, built by esbuild with exactly the stack's options (lib/bundling.ts),
 * against a baseline built the same way in the same run: a bundle holding
 * only `@aws-sdk/client-dynamodb` and one client. Init is the time Node takes
 * to load and evaluate the bundle (median of interleaved runs, each in a
 * fresh process), with and without `--enable-source-maps`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLING, NODE_OPTIONS } from '../../lib/bundling';

const FUNCTIONS = [
  'authorizer',
  'auth',
  'users',
  'notarizations',
  'log',
  'tsa',
  'public',
  'reports',
  'privacy',
  'integrator',
  'verifier',
  'anchor',
  'settings-audit',
  'tsa-certificate',
] as const;
const RUNS = Number(process.env.BENCH_INIT_RUNS ?? 9);
const out = mkdtempSync(join(tmpdir(), 'stempel-bundles-'));

async function bundle(
  name: string,
  entry: { entryPoints: string[] } | { stdin: { contents: string; resolveDir: string } },
) {
  const outfile = join(out, name, 'index.mjs');
  await build({
    ...entry,
    outfile,
    bundle: true,
    platform: BUNDLING.platform,
    target: BUNDLING.target,
    format: BUNDLING.format,
    banner: { js: BUNDLING.banner },
    mainFields: [...BUNDLING.mainFields],
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    logLevel: 'error',
  });
  return { name, file: outfile, bytes: statSync(outfile).size };
}

const probe = join(out, 'probe.mjs');
writeFileSync(
  probe,
  'const t0 = performance.now(); await import(process.argv[2]); process.stdout.write(String(performance.now() - t0));\n',
);

/** One cold module init, in a fresh Node process, in milliseconds. */
function initMs(file: string, sourceMaps: boolean): number {
  const run = spawnSync(
    process.execPath,
    [...(sourceMaps ? [NODE_OPTIONS] : []), probe, pathToFileURL(file).href],
    {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-central-1', POWERTOOLS_SERVICE_NAME: 'bench' },
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`init of ${file} failed: ${run.stderr}`);
  return Number(run.stdout);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const baseline = await bundle('baseline-client-dynamodb', {
  stdin: {
    contents:
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; export const client = new DynamoDBClient({});",
    resolveDir: process.cwd(),
  },
});
const bundles = [];
for (const name of FUNCTIONS) bundles.push(await bundle(name, { entryPoints: [`functions/${name}.ts`] }));

console.log(`\nCold start: module init, median of ${RUNS} interleaved runs per bundle (BENCH_INIT_RUNS)`);
console.log(
  'bundle                    size (KB)   init ms   × baseline   init ms with source maps   × baseline',
);
const base = { plain: [] as number[], maps: [] as number[] };
const times = new Map(bundles.map((b) => [b.name, { plain: [] as number[], maps: [] as number[] }]));
for (let i = 0; i < RUNS; i++) {
  base.plain.push(initMs(baseline.file, false));
  base.maps.push(initMs(baseline.file, true));
  for (const b of bundles) {
    const t = times.get(b.name) as { plain: number[]; maps: number[] };
    t.plain.push(initMs(b.file, false));
    t.maps.push(initMs(b.file, true));
  }
}
const basePlain = median(base.plain);
const baseMaps = median(base.maps);
const row = (name: string, bytes: number, plain: number, maps: number) =>
  console.log(
    `${name.padEnd(25)} ${(bytes / 1024).toFixed(0).padStart(9)} ${plain.toFixed(0).padStart(9)} ${(plain / basePlain).toFixed(2).padStart(11)}× ${maps.toFixed(0).padStart(26)} ${(maps / baseMaps).toFixed(2).padStart(11)}×`,
  );
row(baseline.name, baseline.bytes, basePlain, baseMaps);
for (const b of bundles) {
  const t = times.get(b.name) as { plain: number[]; maps: number[] };
  row(b.name, b.bytes, median(t.plain), median(t.maps));
}
