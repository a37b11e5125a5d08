/**
 * How every Lambda function is bundled. The CDK stack (lib/functions.ts) and
 * `npm run bench` (cold start and bundle sizes) both read these options, so
 * the benchmark measures exactly what is deployed.
 */
export const BUNDLING = {
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
} as const;

/** Node options of every function: stack traces point into the TypeScript sources. */
export const NODE_OPTIONS = '--enable-source-maps';
