import { chmodSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * Builds the `stempel` CLI into one ES module, so that it starts as plain
 * Node (no TypeScript compiler at start-up). Run by `npm ci` (prepare) and
 * before the tests; the output is not committed.
 */
const outfile = 'dist/stempel.mjs';
await build({
  entryPoints: ['bin/stempel.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
