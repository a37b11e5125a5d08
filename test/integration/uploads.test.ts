import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../shared/adapters/dynamo-audit-store';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { DynamoUploadStore } from '../../shared/adapters/dynamo-upload-store';
import { S3FileStore } from '../../shared/adapters/s3-file-store';
import { StempelError } from '../../shared/core/errors';
import { Notary } from '../../shared/core/notary';
import type { Principal } from '../../shared/core/roles';
import { settingsSchema } from '../../shared/core/settings';
import { type UploadOutcome, Uploads } from '../../shared/core/uploads';
import { ownerKeys } from '../../shared/runtime/files';
import { cursors } from '../../shared/runtime/keys';

const defaultSettings = settingsSchema.parse({});
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const principal = (): Principal =>
  ({ userId: randomUUID(), username: 'u', roles: ['uploader'] }) as unknown as Principal;

/**
 * S3 in AWS keeps the SHA-256 it checked on a single-part upload; the emulator
 * keeps none. This store reports one, computed from the stored bytes, so these
 * tests take the path AWS takes for single-part uploads: checked in the request.
 */
function checksummingStore(): S3FileStore {
  const real = new S3FileStore();
  return Object.assign(Object.create(real) as S3FileStore, {
    head: async (key: string, fileKey: Uint8Array) => {
      const stored = await real.head(key, fileKey);
      return stored && { ...stored, sha256: await real.sha256(key, fileKey, stored.size) };
    },
  });
}

/** The service on the real DynamoDB Local and S3 emulator, with a clock the test moves. */
function service(files = checksummingStore()) {
  let now = new Date();
  const store = new DynamoNotarizationStore();
  const uploads = new Uploads({
    uploads: new DynamoUploadStore(),
    files,
    ownerKeys: ownerKeys(),
    notary: new Notary(store, cursors()),
    notarizations: store,
    settings: async () => defaultSettings,
    now: () => now,
  });
  return {
    uploads,
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

async function uploaded(uploads: Uploads, who: Principal, bytes: Uint8Array) {
  const upload = await uploads.create(who, { sha256: sha256(bytes), size: bytes.length });
  if (upload.kind !== 'single') throw new Error('expected a single-part upload');
  const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
  expect(res.status).toBe(200);
  return upload;
}

/** A notarization the upload led to, failing the test on any other outcome. */
const notarized = (outcome: UploadOutcome) => {
  if (!('notarization' in outcome))
    throw new Error(`expected a notarization, got ${JSON.stringify(outcome)}`);
  return outcome;
};

/** The audit events of the last hour about `target`. */
const auditedOn = async (target: string) => {
  const to = new Date(Date.now() + 60_000).toISOString();
  const from = new Date(Date.now() - 3_600_000).toISOString();
  return (await new DynamoAuditStore().query({ from, to, target }, 100)).items;
};
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => (err instanceof StempelError ? `${err.kind}:${err.code}` : String(err)),
  );

describe('uploads (DynamoDB Local and the S3 emulator)', () => {
  it('an upload expires: 410 after expiresAt, and nothing is notarized', async () => {
    const { uploads, advance } = service();
    const who = principal();
    const upload = await uploaded(uploads, who, randomBytes(100));
    advance(defaultSettings.uploadExpirySeconds + 1);
    expect(await failure(uploads.notarize(who, { uploadId: upload.uploadId }))).toBe('gone:upload_expired');
  });

  it('concurrent notarizations of one upload: one notarization, the others are told it is busy or get that one', async () => {
    const { uploads } = service();
    const who = principal();
    const upload = await uploaded(uploads, who, randomBytes(50_000));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => uploads.notarize(who, { uploadId: upload.uploadId })),
    );
    const answers = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [notarized(o.value)] : []));
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers.map((a) => a.notarization.id)).size).toBe(1);
    expect(
      await new DynamoNotarizationStore().findBySha256(answers[0]?.notarization.sha256 as string, 10),
    ).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected'))
      expect((o.reason as StempelError).code).toBe('upload_busy');
  });

  it('a verification that fails halfway gives the upload back; the retry notarizes it once', async () => {
    const real = checksummingStore();
    let fail = true;
    const files = Object.assign(Object.create(real) as S3FileStore, {
      markNotarized: async (key: string) => {
        if (fail) throw new Error('S3 unavailable');
        return real.markNotarized(key);
      },
    });
    const { uploads } = service(files);
    const who = principal();
    const bytes = randomBytes(4096);
    const upload = await uploaded(uploads, who, bytes);
    expect(await failure(uploads.notarize(who, { uploadId: upload.uploadId }))).toBe('Error: S3 unavailable');
    fail = false;
    const retried = notarized(await uploads.notarize(who, { uploadId: upload.uploadId }));
    expect(retried.created).toBe(true);
    expect(retried.notarization.sha256).toBe(sha256(bytes));
    const again = await uploads.notarize(who, { uploadId: upload.uploadId });
    // The same answer as the first time.
    expect(again).toEqual(retried);
  });

  it('a verification killed halfway holds the upload until its lease ends, then a retry takes over', async () => {
    const { uploads, advance } = service();
    const who = principal();
    const upload = await uploaded(uploads, who, randomBytes(1024));
    // What a process killed mid-verification leaves behind: a claim nobody will release.
    const claimedAt = new Date().toISOString();
    expect(await new DynamoUploadStore().claim(upload.uploadId, who.userId, claimedAt, claimedAt)).toBe(true);
    expect(await failure(uploads.notarize(who, { uploadId: upload.uploadId }))).toBe('conflict:upload_busy');
    advance(16 * 60);
    expect(notarized(await uploads.notarize(who, { uploadId: upload.uploadId })).created).toBe(true);
  });

  it('a second upload of a hash already notarized with a file keeps the first file and deletes the copy', async () => {
    const { uploads } = service();
    const who = principal();
    const bytes = randomBytes(2048);
    const first = notarized(
      await uploads.notarize(who, { uploadId: (await uploaded(uploads, who, bytes)).uploadId }),
    );
    const copy = await uploaded(uploads, who, bytes);
    const second = notarized(await uploads.notarize(who, { uploadId: copy.uploadId }));
    expect(second.created).toBe(false);
    expect(second.notarization.id).toBe(first.notarization.id);
    expect(second.notarization.file?.objectKey).toBe(first.notarization.file?.objectKey);
    const copyKey = `owners/${who.userId}/${copy.uploadId}`;
    expect(
      await new S3FileStore().head(copyKey, await ownerKeys().fileKey(who.userId, copyKey)),
    ).toBeUndefined();
  });

  it('a hash notarized without a file takes the file of a later upload', async () => {
    const { uploads } = service();
    const who = principal();
    const bytes = randomBytes(512);
    const store = new DynamoNotarizationStore();
    const hashOnly = await new Notary(store, cursors()).notarize(who, { sha256: sha256(bytes) });
    expect(hashOnly.notarization.file).toBeUndefined();
    const withFile = notarized(
      await uploads.notarize(who, { uploadId: (await uploaded(uploads, who, bytes)).uploadId }),
    );
    expect(withFile.notarization.id).toBe(hashOnly.notarization.id);
    expect((await store.get(hashOnly.notarization.id))?.file?.size).toBe(512);
  });

  it("an object without S3's checksum is handed to the verifier: 202 until it is read through, then the notarization", async () => {
    const { uploads } = service(new S3FileStore());
    const who = principal();
    const bytes = randomBytes(300_000);
    const upload = await uploaded(uploads, who, bytes);
    expect(await uploads.notarize(who, { uploadId: upload.uploadId, metadata: { case: '7' } })).toEqual({
      verifying: true,
    });
    // The runtime's own verifier may get there first (it reads the same table's stream): both are fine.
    await Promise.all([uploads.verifyHandedOver(upload.uploadId), uploads.verifyHandedOver(upload.uploadId)]);
    const outcome = notarized(await uploads.notarize(who, { uploadId: upload.uploadId }));
    expect(outcome.created).toBe(true);
    expect(outcome.notarization).toMatchObject({
      sha256: sha256(bytes),
      metadata: { case: '7' },
      file: { size: bytes.length },
    });
    const found = await new DynamoNotarizationStore().findBySha256(sha256(bytes), 10);
    expect(found).toHaveLength(1);
    // However many verifiers ran, the verdict's audit event was written once, with the notarization.
    const verdicts = await auditedOn(`notarization:${outcome.notarization.id}`);
    expect(verdicts.filter((e) => e.requestId === `verifier:${upload.uploadId}`)).toMatchObject([
      { action: 'notarization.create', actor: who.userId, outcome: 'success' },
    ]);
  });

  it('the verifier rejects different bytes: the object is deleted and every later ask gets the verdict', async () => {
    const { uploads } = service(new S3FileStore());
    const who = principal();
    const declared = randomBytes(70_000);
    const upload = await uploads.create(who, { sha256: sha256(declared), size: declared.length });
    if (upload.kind !== 'single') throw new Error('expected a single-part upload');
    const tampered = Buffer.from(declared);
    tampered.writeUInt8(tampered.readUInt8(5) ^ 0xff, 5);
    await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: tampered });
    expect(await uploads.notarize(who, { uploadId: upload.uploadId })).toEqual({ verifying: true });
    await uploads.verifyHandedOver(upload.uploadId);
    expect(await failure(uploads.notarize(who, { uploadId: upload.uploadId }))).toBe(
      'unprocessable:hash_mismatch',
    );
    expect(await new DynamoNotarizationStore().findBySha256(sha256(declared), 10)).toEqual([]);
    const key = `owners/${who.userId}/${upload.uploadId}`;
    expect(await new S3FileStore().head(key, randomBytes(32))).toBeUndefined();
    expect(await auditedOn(`upload:${upload.uploadId}`)).toMatchObject([
      { action: 'upload.rejected', actor: who.userId, outcome: 'failure', reason: 'hash_mismatch' },
    ]);
  });
});
