import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Receipt, verifyInclusionProof } from '../../shared/core/receipt';
import { adminToken, call, createUser, login, randomSha256 } from '../support/http';

/**
 * GDPR requests end to end: an uploader notarizes (a hash with a telling
 * name, and a stored file), then an admin exports everything about them and
 * erases them. Afterwards their receipts still verify under the log key,
 * their file cannot be decrypted, their name and personal fields are gone.
 */
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function sealedReceipt(token: string, id: string): Promise<Receipt> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await call('GET', `/v1/notarizations/${id}/receipt`, { token });
    if (res.status === 200) return res.body as Receipt;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`notarization ${id} was not sealed`);
}

describe('GDPR export and erasure, end to end', () => {
  let admin: string;
  let person: Awaited<ReturnType<typeof createUser>>;
  let logKey: string;
  const notarized: { id: string; receipt?: Receipt }[] = [];
  const name = 'Lebenslauf Erika Mustermann.pdf';

  beforeAll(async () => {
    admin = await adminToken();
    person = await createUser(['uploader'], admin);
    logKey = (await call('GET', '/v1/log/key')).body.verifierKey;
    const token = await login(person.username, person.password);
    const byHash = await call('POST', '/v1/notarizations', {
      token,
      body: { sha256: randomSha256(), name, metadata: { case: 'HR-2026-17' } },
    });
    expect(byHash.status).toBe(201);
    notarized.push({ id: byHash.body.id });
    const bytes = randomBytes(2048);
    const upload = await call('POST', '/v1/uploads', {
      token,
      body: { sha256: sha256(bytes), size: bytes.length, name: 'Zeugnis.pdf' },
    });
    expect(upload.status).toBe(201);
    const put = await fetch(upload.body.url, { method: 'PUT', headers: upload.body.headers, body: bytes });
    expect(put.status).toBe(200);
    let withFile = await call('POST', '/v1/notarizations', {
      token,
      body: { uploadId: upload.body.uploadId },
    });
    for (let i = 0; i < 100 && withFile.status === 202; i++) {
      await new Promise((r) => setTimeout(r, 100));
      withFile = await call('POST', '/v1/notarizations', { token, body: { uploadId: upload.body.uploadId } });
    }
    expect(withFile.status).toBe(201);
    notarized.push({ id: withFile.body.id });
    for (const n of notarized) n.receipt = await sealedReceipt(admin, n.id);
    expect((await call('GET', `/v1/notarizations/${notarized[1]?.id}/file`, { token: admin })).status).toBe(
      200,
    );
  });

  it('exports everything held about the person, and nothing secret', async () => {
    const res = await call('GET', `/v1/admin/users/${person.id}/export`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ id: person.id, username: person.username, roles: ['uploader'] });
    expect(res.body.user.sessions.length).toBeGreaterThanOrEqual(1);
    expect(res.body.notarizations.map((n: { id: string }) => n.id).sort()).toEqual(
      notarized.map((n) => n.id).sort(),
    );
    expect(res.body.notarizations.find((n: { name?: string }) => n.name === name)).toMatchObject({
      metadata: { case: 'HR-2026-17' },
    });
    const actions = res.body.auditEvents.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.create', 'auth.login', 'notarization.create']));
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(person.password);
    expect(text).not.toMatch(/passwordHash|otpSecret|currentTokenHash|\$scrypt/);
    expect((await call('GET', `/v1/admin/users/${person.id}/export`, { token: person.token })).status).toBe(
      403,
    );
  });

  it('erases the person; their receipts still verify, their file and names are gone', async () => {
    const res = await call('POST', `/v1/admin/users/${person.id}/erasure`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      userId: person.id,
      fileKeyDestroyed: true,
      notarizationDetailsErased: 2,
    });
    expect(res.body.auditEventsErased).toBeGreaterThanOrEqual(3);

    // The account is gone: no login, no token, the username is free again.
    expect(
      (
        await call('POST', '/v1/auth/login', {
          body: { username: person.username, password: person.password },
        })
      ).status,
    ).toBe(401);
    expect((await call('GET', '/v1/me', { token: person.token })).status).toBe(401);
    expect((await call('GET', `/v1/admin/users/${person.id}`, { token: admin })).status).toBe(404);

    for (const n of notarized) {
      const kept = await call('GET', `/v1/notarizations/${n.id}`, { token: admin });
      expect(kept.status).toBe(200);
      expect(kept.body.owner).toBe(person.id);
      expect(kept.body).not.toHaveProperty('name');
      expect(kept.body).not.toHaveProperty('metadata');
      // The receipt taken before still verifies, and so does one fetched now.
      expect(() => verifyInclusionProof(n.receipt as Receipt, logKey)).not.toThrow();
      const now = (await call('GET', `/v1/notarizations/${n.id}/receipt`, { token: admin })).body as Receipt;
      expect(() => verifyInclusionProof(now, logKey)).not.toThrow();
    }
    // Crypto-shredded: the file cannot be handed out any more.
    const file = await call('GET', `/v1/notarizations/${notarized[1]?.id}/file`, { token: admin });
    expect(file.status).toBe(410);

    // The audit events stay (with their proofs), without personal fields; the erasure is recorded.
    const events = await call(
      'GET',
      `/v1/audit/events?${new URLSearchParams({ target: `user:${person.id}`, limit: '100' })}`,
      {
        token: admin,
      },
    );
    const items = events.body.items as {
      action: string;
      at: string;
      personal?: unknown;
      personalHash: string;
    }[];
    expect(items.find((e) => e.action === 'user.erase')).toBeDefined();
    // Events before the erasure lost their personal fields (the admin's later calls about the id keep theirs).
    const before = items.filter((e) => e.at < res.body.erasedAt && e.action !== 'user.erase');
    expect(before.length).toBeGreaterThanOrEqual(3);
    for (const e of before) {
      expect(e.personal, e.action).toBeUndefined();
      expect(e.personalHash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(JSON.stringify(items)).not.toContain(person.username);

    // Asked again, there is nothing left to erase.
    expect((await call('POST', `/v1/admin/users/${person.id}/erasure`, { token: admin })).status).toBe(404);
  });
});
