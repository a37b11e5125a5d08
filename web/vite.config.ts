import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Where `npm run dev:web` sends /v1 (HTTP and the live WebSocket): a running `npm start`. */
const apiTarget = process.env.STEMPEL_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: here('.'),
  // No React plugin: esbuild compiles JSX straight to Preact's automatic runtime.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: {
    alias: {
      // shared/core (the CLI's receipt verification) runs unchanged in the browser on these.
      'node:crypto': here('src/crypto/node-crypto-shim.ts'),
    },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill is an inline script, which the console's CSP forbids.
    modulePreload: { polyfill: false },
    // Everything (fonts, icons) is a file: CSP img-src allows data: but nothing needs it.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
  server: {
    proxy: { '/v1': { target: apiTarget, ws: true, changeOrigin: false } },
  },
  plugins: [
    {
      // The dev server's runtime config; in production the server that serves web/dist writes it.
      name: 'stempel-dev-config',
      configureServer(server) {
        server.middlewares.use('/config.json', (_req, res) => {
          const live = `${apiTarget.replace(/^http/, 'ws')}/v1/live`;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ apiBase: '', liveUrl: live, verifierKey: null, stage: 'dev' }));
        });
      },
    },
  ],
});
