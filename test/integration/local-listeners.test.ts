import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_LOCAL_CORS_ORIGIN } from '../../shared/local/dynamodb-local';
import { type LocalRuntime, startLocalRuntime } from '../../shared/local/runtime';

const BOOTSTRAP_PASSWORD = 'bootstrap-Initial-pass-1';

interface Listener {
  readonly address: string;
  readonly port: number;
  readonly pids: readonly number[];
}

/** Splits ss's `Local Address:Port` column: `127.0.0.1:80`, `[::1]:80`, `*:80`, `127.0.0.53%lo:53`. */
function splitAddress(column: string): { address: string; port: number } {
  const colon = column.lastIndexOf(':');
  if (colon < 0) throw new Error(`no port in ${column}`);
  let address = column.slice(0, colon);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  address = address.replace(/%.*$/, '');
  return { address, port: Number(column.slice(colon + 1)) };
}

/** Every listening TCP socket, from iproute2's `ss -ltnpH`. */
function listeners(): Listener[] {
  const output = execFileSync('ss', ['-l', '-t', '-n', '-p', '-H'], { encoding: 'utf8' });
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      // State Recv-Q Send-Q Local-Address:Port Peer-Address:Port [Process]
      const columns = line.trim().split(/\s+/);
      const local = columns[3];
      if (columns[0] !== 'LISTEN' || !local) throw new Error(`unexpected ss line: ${line}`);
      const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
      return { ...splitAddress(local), pids };
    });
}

const isLoopback = (address: string) =>
  (isIP(address) === 4 && address.startsWith('127.')) || address === '::1' || /^::ffff:127\./i.test(address);

/** This process and every process below it (DynamoDB Local's JVM), from /proc. */
function ownProcessTree(): Set<number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process exited meanwhile
    }
  }
  const tree = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** Every path under `dir` (not `dir` itself). */
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(entry.parentPath ?? dir, entry.name);
    return entry.isDirectory() ? [path, ...walk(path)] : [path];
  });

const raw = (
  url: string,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> =>
  new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });

describe.runIf(process.platform === 'linux')('the local runtime keeps to this machine and this user', () => {
  let root: string;
  let dataDir: string;
  let runtime: LocalRuntime | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'stempel-listeners-'));
    // Not created yet: the runtime creates it, and decides its mode.
    dataDir = join(root, 'data');
    runtime = await startLocalRuntime({ dataDir, port: 0, bootstrapAdminPassword: BOOTSTRAP_PASSWORD });
    // A login signs a token: the local keys exist afterwards.
    const login = await fetch(`${runtime.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: BOOTSTRAP_PASSWORD }),
    });
    expect(login.status).toBe(200);
  });

  afterAll(async () => {
    await runtime?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('publishes the signed checkpoint of the empty log as it starts', async () => {
    const res = await fetch(`${runtime?.url}/v1/log/checkpoint`);
    expect(res.status).toBe(200);
    const [origin, size, root] = (await res.text()).split('\n');
    expect(origin).toBeTruthy();
    expect(size).toBe('0');
    expect(root).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('parses ss addresses', () => {
    expect(splitAddress('127.0.0.1:8000')).toEqual({ address: '127.0.0.1', port: 8000 });
    expect(splitAddress('[::ffff:127.0.0.1]:8000')).toEqual({ address: '::ffff:127.0.0.1', port: 8000 });
    expect(splitAddress('*:8000')).toEqual({ address: '*', port: 8000 });
    expect(splitAddress('[::]:8000')).toEqual({ address: '::', port: 8000 });
    expect(splitAddress('127.0.0.53%lo:53')).toEqual({ address: '127.0.0.53', port: 53 });
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('*')).toBe(false);
    expect(isLoopback('::')).toBe(false);
  });

  it('listens on loopback only: the API, DynamoDB Local and the S3 emulator', () => {
    const all = listeners();
    const endpoints = {
      api: runtime?.url,
      dynamodb: runtime?.dynamoEndpoint,
      s3: runtime?.s3Endpoint,
    };
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const port = Number(new URL(endpoint ?? 'http://invalid').port);
      const bound = all.filter((l) => l.port === port).map((l) => l.address);
      expect(bound, `${name} on port ${port}`).not.toEqual([]);
      expect(
        bound.filter((address) => !isLoopback(address)),
        `${name} on port ${port}`,
      ).toEqual([]);
    }
    // And no other listener of this process or its children (the JVM) is reachable from outside.
    const tree = ownProcessTree();
    expect(tree.size).toBeGreaterThan(1); // the JVM is a child
    const owned = all.filter((l) => l.pids.some((pid) => tree.has(pid)));
    expect(owned.length).toBeGreaterThanOrEqual(3);
    expect(owned.filter((l) => !isLoopback(l.address))).toEqual([]);
  });

  it('DynamoDB Local answers no CORS preflight from a web page', async () => {
    const endpoint = runtime?.dynamoEndpoint ?? '';
    const preflight = (origin: string) =>
      raw(endpoint, 'OPTIONS', {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,x-amz-date,x-amz-target',
      });
    for (const origin of ['http://evil.example', 'null', 'http://localhost:3000', 'http://127.0.0.1']) {
      const res = await preflight(origin);
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    const post = await raw(endpoint, 'POST', {
      Origin: 'http://evil.example',
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.ListTables',
    });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    // CORS is configured explicitly, for an origin no page can have.
    expect((await preflight(DYNAMODB_LOCAL_CORS_ORIGIN)).headers['access-control-allow-origin']).toBe(
      DYNAMODB_LOCAL_CORS_ORIGIN,
    );
    expect(new URL(DYNAMODB_LOCAL_CORS_ORIGIN).hostname).toMatch(/\.invalid$/);
  });

  it('keeps its data from other users', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const paths = walk(dataDir);
    const keys = readdirSync(join(dataDir, 'keys')).filter((name) => /\.(pem|key)$/.test(name));
    expect(keys.length).toBeGreaterThan(0);
    expect(paths.some((p) => p.startsWith(join(dataDir, 'dynamodb')))).toBe(true);
    expect(paths.some((p) => p.startsWith(join(dataDir, 's3')))).toBe(true);
    // DynamoDB Local's journal files come and go while it runs: one gone since the walk exposes nothing.
    const modeOf = (path: string) => statSync(path, { throwIfNoEntry: false })?.mode;
    const exposed = paths
      .map((path) => ({ path, mode: modeOf(path) }))
      .filter((entry): entry is { path: string; mode: number } => entry.mode !== undefined)
      .filter(({ mode }) => (mode & 0o077) !== 0)
      .map(({ path, mode }) => ({ path, mode: (mode & 0o777).toString(8) }));
    expect(exposed).toEqual([]);
  });
});
