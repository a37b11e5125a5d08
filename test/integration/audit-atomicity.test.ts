import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../shared/adapters/dynamo-audit-store';
import { DynamoLoginAttempts } from '../../shared/adapters/dynamo-login-attempts';
import { DynamoSessionStore } from '../../shared/adapters/dynamo-session-store';
import { DynamoUploadStore } from '../../shared/adapters/dynamo-upload-store';
import { DynamoUserStore } from '../../shared/adapters/dynamo-user-store';
import { type AuditEvent, newAuditEvent } from '../../shared/core/audit-event';
import type { Session } from '../../shared/ports/session-store';
import type { Upload } from '../../shared/ports/upload-store';
import type { UserRecord } from '../../shared/ports/user-store';

/**
 * Every state change that carries its audit event writes both or neither
 * (docs/audit.md). An event whose id is taken already cannot be written: the
 * change it travels with must then not happen either.
 */
const audit = new DynamoAuditStore();
const users = new DynamoUserStore();
const sessions = new DynamoSessionStore();
const attempts = new DynamoLoginAttempts();
const uploads = new DynamoUploadStore();

const event = (action: string): AuditEvent =>
  newAuditEvent(
    {
      action,
      actor: randomUUID(),
      target: '-',
      outcome: 'success',
      requestId: randomUUID(),
      personal: { sourceIp: '192.0.2.7' },
    },
    new Date(),
  );
/** An event that cannot be written: its id is in the Audit table already. */
const unwritable = async (action: string) => {
  const taken = event(action);
  await audit.record(taken);
  return { ...event(action), id: taken.id };
};

async function newUser(): Promise<UserRecord> {
  const user: UserRecord = {
    id: randomUUID(),
    username: `atomic-${randomUUID()}`,
    roles: ['uploader'],
    passwordHash: '$scrypt$ln=17,r=8,p=1$x$y',
    mustChangePassword: false,
    disabled: false,
    credentialVersion: 0,
    sessions: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  await users.create(user);
  return user;
}
const session = (userId: string): Session => ({
  id: randomUUID(),
  userId,
  currentTokenHash: 'a'.repeat(64),
  createdAt: Date.now(),
  idleExpiresAt: 4_000_000_000,
  absoluteExpiresAt: 4_000_000_000,
  credentialVersion: 0,
});

describe('a change and its audit event land together (DynamoDB Local)', () => {
  it('a login: the session and its event, or neither', async () => {
    const user = await newUser();
    const ok = event('auth.login');
    const s = session(user.id);
    expect(await sessions.create(s, [], ok)).toBe(true);
    expect(await audit.get(ok.id)).toMatchObject({ action: 'auth.login' });

    const refused = session(user.id);
    await expect(sessions.create(refused, [], await unwritable('auth.login'))).rejects.toThrow();
    expect(Object.keys((await users.getById(user.id))?.sessions ?? {})).toEqual([s.id]);
  });

  it('a login refused by its condition (a disabled user) writes no event', async () => {
    const user = await newUser();
    await users.update(user.id, { disabled: true }, new Date().toISOString());
    const e = event('auth.login');
    expect(await sessions.create(session(user.id), [], e)).toBe(false);
    expect(await audit.get(e.id)).toBeUndefined();
  });

  it('a refresh: the rotation and its event, or neither', async () => {
    const user = await newUser();
    const s = session(user.id);
    await sessions.create(s, []);
    await expect(
      sessions.rotate(s, 'b'.repeat(64), 4_000_000_000, await unwritable('auth.refresh')),
    ).rejects.toThrow();
    expect((await users.getById(user.id))?.sessions[s.id]?.currentTokenHash).toBe(s.currentTokenHash);

    const ok = event('auth.refresh');
    expect(await sessions.rotate(s, 'b'.repeat(64), 4_000_000_000, ok)).toBe('rotated');
    expect(await audit.get(ok.id)).toBeDefined();
    // The family moved on: a second rotation with the old hash is stale, and writes no event.
    const late = event('auth.refresh');
    expect(await sessions.rotate(s, 'c'.repeat(64), 4_000_000_000, late)).toBe('stale');
    expect(await audit.get(late.id)).toBeUndefined();
    await sessions.revoke(user.id, s.id);
    expect(await sessions.rotate(s, 'c'.repeat(64), 4_000_000_000, late)).toBe('gone');
  });

  it('a logout: the session ends with its event, or not at all', async () => {
    const user = await newUser();
    const s = session(user.id);
    await sessions.create(s, []);
    await expect(sessions.revoke(user.id, s.id, await unwritable('auth.logout'))).rejects.toThrow();
    expect((await users.getById(user.id))?.sessions[s.id]).toBeDefined();
    const ok = event('auth.logout');
    await sessions.revoke(user.id, s.id, ok);
    expect((await users.getById(user.id))?.sessions[s.id]).toBeUndefined();
    expect(await audit.get(ok.id)).toBeDefined();
  });

  it('a password change: the new password and its event, or neither', async () => {
    const user = await newUser();
    await expect(
      users.setPassword(
        user.id,
        'new-hash',
        false,
        'later',
        0,
        undefined,
        await unwritable('auth.password_change'),
      ),
    ).rejects.toThrow();
    expect(await users.getById(user.id)).toMatchObject({
      passwordHash: user.passwordHash,
      credentialVersion: 0,
    });
    const ok = event('auth.password_change');
    await users.setPassword(user.id, 'new-hash', false, 'later', 0, undefined, ok);
    expect(await users.getById(user.id)).toMatchObject({ passwordHash: 'new-hash', credentialVersion: 1 });
    expect(await audit.get(ok.id)).toBeDefined();
  });

  it('2FA enrolment: the pending secret and its event, or neither', async () => {
    const user = await newUser();
    const at = new Date().toISOString();
    const sealed = 'sealed-secret';
    await expect(
      users.update(user.id, { otpPendingSecret: sealed }, at, undefined, await unwritable('auth.otp_setup')),
    ).rejects.toThrow();
    expect((await users.getById(user.id))?.otpPendingSecret).toBeUndefined();
  });

  it('an unlock: every counter cleared with its event, or none', async () => {
    const user = await newUser();
    const policy = { threshold: 1, lockMs: () => 60_000 };
    // The first attempt counts, the second locks.
    for (const scope of ['', '', '192.0.2.0/24', '192.0.2.0/24', '198.51.100.0/24'])
      await attempts.claim(user.username, scope, Date.now(), policy);
    const locked = async () =>
      !(await attempts.claim(user.username, '', Date.now(), policy)).allowed &&
      !(await attempts.claim(user.username, '192.0.2.0/24', Date.now(), policy)).allowed;
    expect(await locked()).toBe(true);
    await expect(attempts.clearAll(user.username, await unwritable('user.unlock'))).rejects.toThrow();
    expect(await locked()).toBe(true);
    const ok = event('user.unlock');
    await attempts.clearAll(user.username, ok);
    expect(await audit.get(ok.id)).toBeDefined();
    expect((await attempts.claim(user.username, '', Date.now(), policy)).allowed).toBe(true);
    expect((await attempts.claim(user.username, '192.0.2.0/24', Date.now(), policy)).allowed).toBe(true);
  });

  it('an upload: created with its event, or not at all; its outcome likewise', async () => {
    const id = randomUUID();
    const upload: Upload = {
      id,
      owner: randomUUID(),
      sha256: 'd'.repeat(64),
      size: 3,
      contentType: 'application/octet-stream',
      objectKey: `owners/x/${id}`,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      state: 'open',
    };
    await expect(uploads.create(upload, await unwritable('upload.create'))).rejects.toThrow();
    expect(await uploads.get(id)).toBeUndefined();
    const created = event('upload.create');
    await uploads.create(upload, created);
    expect(await uploads.get(id)).toMatchObject({ state: 'open' });
    expect(await audit.get(created.id)).toBeDefined();

    const now = new Date().toISOString();
    expect(await uploads.claim(id, upload.owner, now, new Date(0).toISOString())).toBe(true);
    const rejection = { rejection: { code: 'hash_mismatch' as const, detail: 'different bytes' } };
    await expect(uploads.finish(id, rejection, await unwritable('upload.rejected'))).rejects.toThrow();
    expect(await uploads.get(id)).toMatchObject({ state: 'verifying' });
    const rejected = event('upload.rejected');
    await uploads.finish(id, rejection, rejected);
    expect(await uploads.get(id)).toMatchObject({ state: 'rejected' });
    expect(await audit.get(rejected.id)).toBeDefined();
    // The first outcome stands, and a second verdict writes no second event.
    const again = event('upload.rejected');
    await uploads.finish(id, rejection, again);
    expect(await audit.get(again.id)).toBeUndefined();
  });

  it('concurrent logins of one user all land, each with its own event', async () => {
    const user = await newUser();
    const events = Array.from({ length: 8 }, () => event('auth.login'));
    const results = await Promise.all(events.map((e) => sessions.create(session(user.id), [], e)));
    expect(results).toEqual(Array(8).fill(true));
    expect(Object.keys((await users.getById(user.id))?.sessions ?? {})).toHaveLength(8);
    for (const e of events) expect(await audit.get(e.id)).toBeDefined();
  });
});
