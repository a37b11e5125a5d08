import { existsSync } from 'node:fs';
import { startLocalRuntime } from '../shared/local/runtime';

/** `npm start`: the whole API on this machine, with embedded backends. */
async function main() {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const dataDir = process.env.STEMPEL_DATA_DIR || '.stempel';
  const port = Number(process.env.PORT || 3000);
  const runtime = await startLocalRuntime({
    dataDir,
    port,
    host: process.env.HOST || '127.0.0.1',
    bootstrapAdminUsername: process.env.STEMPEL_BOOTSTRAP_ADMIN_USERNAME || 'admin',
    bootstrapAdminPassword: process.env.STEMPEL_BOOTSTRAP_ADMIN_PASSWORD || undefined,
    authRatePerMinute: Number(process.env.STEMPEL_AUTH_RATE_PER_MINUTE || 60),
    consoleDirectory: 'web/dist',
  });
  if (runtime.bootstrap.created) {
    const { username, password, generated } = runtime.bootstrap;
    // Printed once, to the operator's terminal only; it is never logged again.
    console.log(
      generated
        ? `Created the bootstrap admin "${username}" with the one-time password: ${password}\nIt must be changed at first login (POST /v1/auth/password).`
        : `Created the bootstrap admin "${username}" with the password from STEMPEL_BOOTSTRAP_ADMIN_PASSWORD; it must be changed at first login.`,
    );
  }
  console.log(
    `Stempel API on ${runtime.url}/v1/ and the console on ${runtime.url}/ (data in ${dataDir}). Ctrl-C stops it.`,
  );
  console.log(`Live log channel (WebSocket, docs/live.md): ${runtime.liveUrl}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping…');
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
