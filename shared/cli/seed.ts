import { createHash, randomBytes } from 'node:crypto';
import { ApiClient, CliError, HttpError, type LoginAnswer } from './api-client';

/** Demo data for a running instance, created through the public API only (`npm run seed`). */
export interface SeedOptions {
  /** The API's base URL, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly adminUsername: string;
  /** The admin's current password (after its forced change). */
  readonly adminPassword: string;
  /** Prefix of every created username; a random suffix keeps repeated runs apart. */
  readonly prefix?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface SeededUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly roles: readonly string[];
}

export interface SeedResult {
  readonly users: readonly SeededUser[];
  /** Ids of the notarizations created (by hash and from uploads). */
  readonly notarizations: readonly string[];
  /** How many of them came from uploaded files. */
  readonly uploads: number;
  readonly verifications: number;
  readonly failedLogins: number;
}

const ACCOUNTS = [
  { role: 'uploader', names: ['ulla', 'otto'] },
  { role: 'uploader', names: ['mia'] },
  { role: 'verifier', names: ['vera', 'viktor'] },
  { role: 'auditor', names: ['anna'] },
] as const;

const DOCUMENTS = [
  'Kaufvertrag Wohnung Hauptstraße 12.pdf',
  'Board minutes 2026-Q3.pdf',
  'Patent draft — sensor housing.docx',
  'Mietvertrag Büro.pdf',
  'Audit report FY2025.xlsx',
  'Employment contract J. Smith.pdf',
];

const FILES = [
  {
    name: 'meeting-notes.txt',
    contentType: 'text/plain',
    text: 'Meeting notes\n\n1. Budget approved.\n2. Next review in March.\n',
  },
  {
    name: 'invoice-2026-0042.csv',
    contentType: 'text/csv',
    text: 'item,amount\nconsulting,1200.00\ntravel,340.50\n',
  },
];

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
/** A password that passes the policy: long, random, never containing the username. */
const newPassword = () => `${randomBytes(12).toString('base64url')}-Demo7`;

async function signIn(
  url: string,
  username: string,
  password: string,
): Promise<{ client: ApiClient; mustChange: boolean }> {
  const anonymous = new ApiClient(url);
  const answer = await anonymous.send<LoginAnswer>('POST', '/v1/auth/login', { username, password });
  return {
    client: new ApiClient(url, answer.body.accessToken),
    mustChange: answer.body.mustChangePassword === true,
  };
}

/** Creates a user as the admin, completes its forced password change, and signs it in. */
async function createAccount(admin: ApiClient, url: string, username: string, role: string) {
  const created = await admin.send<{ user: { id: string }; temporaryPassword: string }>(
    'POST',
    '/v1/admin/users',
    {
      username,
      roles: [role],
    },
  );
  const first = await signIn(url, username, created.body.temporaryPassword);
  const password = newPassword();
  await first.client.send('POST', '/v1/auth/password', {
    currentPassword: created.body.temporaryPassword,
    newPassword: password,
  });
  const { client } = await signIn(url, username, password);
  return { user: { id: created.body.user.id, username, password, roles: [role] }, client };
}

interface UploadAnswer {
  readonly uploadId: string;
  readonly kind: 'single' | 'multipart';
  readonly url?: string;
  readonly headers: Record<string, string>;
}

/** The presigned upload flow (docs/files.md): declare, PUT the bytes, notarize (asking again while it is verified). */
async function uploadAndNotarize(client: ApiClient, file: (typeof FILES)[number]): Promise<string> {
  const bytes = Buffer.from(file.text, 'utf8');
  const upload = await client.send<UploadAnswer>('POST', '/v1/uploads', {
    sha256: sha256(bytes),
    size: bytes.length,
    name: file.name,
    contentType: file.contentType,
  });
  if (upload.body.kind !== 'single' || !upload.body.url)
    throw new CliError(`expected a single presigned PUT for ${file.name}, got ${upload.body.kind}`);
  const put = await fetch(upload.body.url, { method: 'PUT', headers: upload.body.headers, body: bytes });
  if (!put.ok) throw new CliError(`uploading ${file.name} failed: ${put.status} ${await put.text()}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await client.send<{ id?: string }>('POST', '/v1/notarizations', {
      uploadId: upload.body.uploadId,
    });
    if (answer.status !== 202 && answer.body.id) return answer.body.id;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new CliError(`the upload of ${file.name} was still being verified`);
}

/**
 * Fills a running instance with demo data through its public API: users of
 * each role (uploader, verifier, auditor), notarizations by hash and from
 * small uploaded files, verifications (hits and a miss), a receipt read, and
 * failed logins, so that the audit trail has something to show. Every
 * username carries a fresh random suffix, so it can run any number of times.
 */
export async function seed(options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? (() => {});
  const run = `${options.prefix ?? 'demo'}-${randomBytes(3).toString('hex')}`;
  const adminLogin = await signIn(options.url, options.adminUsername, options.adminPassword).catch(
    (err: unknown) => {
      if (err instanceof HttpError && err.status === 401)
        throw new CliError(`cannot sign in as ${options.adminUsername}: wrong username or password`);
      throw err;
    },
  );
  if (adminLogin.mustChange)
    throw new CliError(
      `${options.adminUsername} must change its password first (POST /v1/auth/password, see README), then run the seed with the new one`,
    );
  const admin = adminLogin.client;

  const users: SeededUser[] = [];
  const clients = new Map<string, ApiClient>();
  for (const { role, names } of ACCOUNTS)
    for (const name of names) {
      const { user, client } = await createAccount(admin, options.url, `${run}-${name}`, role);
      users.push(user);
      clients.set(user.username, client);
      log(`user ${user.username} (${role})`);
    }
  const byRole = (role: string) =>
    users
      .filter((u) => u.roles.includes(role))
      .map((u) => ({ user: u, client: clients.get(u.username) as ApiClient }));
  const uploaders = byRole('uploader');
  const verifiers = byRole('verifier');

  const notarizations: string[] = [];
  const hashes: string[] = [];
  for (const [i, name] of DOCUMENTS.entries()) {
    const uploader = uploaders[i % uploaders.length] as (typeof uploaders)[number];
    const hash = sha256(`${run} ${name} ${randomBytes(8).toString('hex')}`);
    const answer = await uploader.client.send<{ id: string }>('POST', '/v1/notarizations', {
      sha256: hash,
      name,
    });
    notarizations.push(answer.body.id);
    hashes.push(hash);
    log(`notarized ${name} (${answer.body.id}) as ${uploader.user.username}`);
  }
  let uploads = 0;
  for (const [i, file] of FILES.entries()) {
    const uploader = uploaders[i % uploaders.length] as (typeof uploaders)[number];
    // The run name makes each run's files (and so their hashes) new.
    const id = await uploadAndNotarize(uploader.client, { ...file, text: `${file.text}\n-- ${run}\n` });
    notarizations.push(id);
    uploads++;
    log(`uploaded and notarized ${file.name} (${id}) as ${uploader.user.username}`);
  }

  let verifications = 0;
  for (const [i, hash] of [...hashes.slice(0, 3), sha256(`never notarized ${run}`)].entries()) {
    const verifier = verifiers[i % verifiers.length] as (typeof verifiers)[number];
    await verifier.client.send('POST', '/v1/verify', { sha256: hash });
    verifications++;
  }
  log(`${verifications} verifications`);
  const first = uploaders[0] as (typeof uploaders)[number];
  if (await first.client.waitForReceipt(notarizations[0] as string, 10_000)) log('read a receipt');

  // Wrong passwords, and an unknown user: a few, well below the lockout.
  let failedLogins = 0;
  for (const [username, password] of [
    [verifiers[0]?.user.username as string, 'not-the-password-1'],
    [first.user.username, 'not-the-password-2'],
    [`${run}-nobody`, 'not-the-password-3'],
  ] as const) {
    try {
      await new ApiClient(options.url).send('POST', '/v1/auth/login', { username, password });
      throw new CliError(`the login of ${username} with a wrong password was accepted`);
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401)) throw err;
      failedLogins++;
    }
  }
  log(`${failedLogins} failed logins`);
  return { users, notarizations, uploads, verifications, failedLogins };
}
