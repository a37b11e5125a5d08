import * as z from 'zod/mini';

/** What the server that hosts the console says about itself: fetched once at start from /config.json. */
export const runtimeConfigSchema = z.object({
  /** Prefix of the API's /v1 paths; '' when the API is on the console's origin. */
  apiBase: z.string(),
  /** The live log WebSocket (`ws://…/v1/live` or `wss://…`), or null where there is none. */
  liveUrl: z.nullable(z.string()),
  /** The log's C2SP verifier key as this server announces it: only ever a suggestion to pin. */
  verifierKey: z.nullable(z.string()),
  stage: z.string(),
});
export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

let loaded: RuntimeConfig | undefined;

export async function loadConfig(): Promise<RuntimeConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  loaded = runtimeConfigSchema.parse(await res.json());
  return loaded;
}

/** The runtime config; main.tsx loads it before anything renders. */
export function config(): RuntimeConfig {
  if (!loaded) throw new Error('the runtime config is not loaded yet');
  return loaded;
}
