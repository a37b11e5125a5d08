import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalRuntime } from '../../shared/local/runtime';
import { ensureConsoleBuilt } from './browser';

export const BOOTSTRAP_PASSWORD = 'bootstrap-Initial-pass-1';
export const ADMIN_PASSWORD = 'Stempel-Changed-pass-2026';

/** Environment keys the local runtime configured, copied into every test worker. */
const FORWARDED = /^(AWS_|[A-Z]+_TABLE$|DOCUMENTS_BUCKET|STEMPEL_|POWERTOOLS_)/;

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    adminPassword: string;
    localEnv: Record<string, string>;
  }
}

interface SharedRuntime {
  readonly url: string;
  readonly env: Record<string, string>;
  readonly teardown: () => Promise<void>;
}

/**
 * One runtime per process, whatever the number of projects: the handlers'
 * composition roots are module singletons that read the environment on first
 * use, so a second runtime in the same process would silently send the first
 * one's requests to the second one's emulators. The fuzz project runs after
 * the main one (its group order), so sharing cannot mix their tests.
 */
const RUNTIME = Symbol.for('stempel.test.runtime');
const shared = globalThis as { [RUNTIME]?: Promise<SharedRuntime> };

/**
 * Starts the real local runtime (DynamoDB Local, s3rver, the HTTP gateway) in
 * a temporary data directory, once, and brings the bootstrap admin past its
 * forced password change so tests can start from a usable admin.
 */
export default async function setup(project: TestProject) {
  const first = shared[RUNTIME] === undefined;
  shared[RUNTIME] ??= startRuntime();
  const runtime = await shared[RUNTIME];
  project.provide('apiUrl', runtime.url);
  project.provide('adminPassword', ADMIN_PASSWORD);
  project.provide('localEnv', runtime.env);
  return first ? runtime.teardown : undefined;
}

async function startRuntime(): Promise<SharedRuntime> {
  ensureConsoleBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'stempel-test-'));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // S3's smallest: the multipart tests then need tens of MiB, not hundreds.
  process.env.STEMPEL_MULTIPART_THRESHOLD_BYTES ??= String(5 * 2 ** 20);
  prepareWebhookReceiver(dataDir);
  // Every test logs in from 127.0.0.1; the per-IP limit has its own unit test.
  const runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    bootstrapAdminPassword: BOOTSTRAP_PASSWORD,
    authRatePerMinute: 100_000,
    // Webhook retries after milliseconds, not the production backoff.
    webhookMaxRetryDelayMs: 200,
    // The web console as npm start serves it, built once here for every browser test.
    consoleDirectory: 'web/dist',
  });
  const teardown = async () => {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await prepareAdmin(runtime.url);
  } catch (err) {
    await teardown();
    throw err;
  }
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => FORWARDED.test(k) && v !== undefined),
  ) as Record<string, string>;
  return { url: runtime.url, env, teardown };
}

/**
 * The webhook tests' receivers listen on 127.0.0.1 with a self-signed
 * certificate made here: the runtime may deliver to that one address and
 * trusts that one certificate, through the two test-only knobs (never set by
 * the CDK stack). Workers read the key from STEMPEL_TEST_RECEIVER_KEY_FILE.
 */
function prepareWebhookReceiver(dataDir: string) {
  const cert = join(dataDir, 'receiver-cert.pem');
  const key = join(dataDir, 'receiver-key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  process.env.STEMPEL_WEBHOOKS_TEST_ALLOW_ADDRESSES = '127.0.0.1';
  process.env.STEMPEL_WEBHOOKS_TEST_CA_FILE = cert;
  process.env.STEMPEL_TEST_RECEIVER_KEY_FILE = key;
}

async function prepareAdmin(url: string) {
  const post = async (path: string, body: unknown, token?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const login = await post('/v1/auth/login', { username: 'admin', password: BOOTSTRAP_PASSWORD });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const changed = await post(
    '/v1/auth/password',
    { currentPassword: BOOTSTRAP_PASSWORD, newPassword: ADMIN_PASSWORD },
    accessToken,
  );
  if (changed.status !== 204) throw new Error(`could not prepare the admin: ${changed.status}`);
}
