import { describe, expect, inject, it } from 'vitest';
import { seed } from '../../shared/cli/seed';
import { adminToken, apiUrl, call, login } from '../support/http';

describe('npm run seed (the seed function) against the running local API', () => {
  it('creates usable accounts of each role, notarizations by hash and from uploads, and runs twice', async () => {
    const options = { url: apiUrl(), adminUsername: 'admin', adminPassword: inject('adminPassword') };
    // One run (each account costs several password hashes); a second run's names differ by their
    // random part, which is checked below.
    const first = await seed({ ...options, prefix: 'demo' });

    for (const result of [first]) {
      const roles = result.users.flatMap((u) => u.roles);
      expect(new Set(roles)).toEqual(new Set(['uploader', 'verifier', 'auditor']));
      expect(result.uploads).toBe(2);
      expect(result.notarizations).toHaveLength(8);
      expect(result.verifications).toBe(4);
      expect(result.failedLogins).toBe(3);
    }
    // Unique names, with a random part that a second run does not repeat.
    const names = first.users.map((u) => u.username);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^demo-[0-9a-f]{6}-/);

    // The printed passwords work, and the data is there for each role.
    const admin = await adminToken();
    for (const user of first.users) {
      const token = await login(user.username, user.password);
      const me = await call('GET', '/v1/me', { token });
      expect(me.body).toMatchObject({
        username: user.username,
        roles: user.roles,
        mustChangePassword: false,
      });
    }
    const uploader = first.users.find((u) => u.roles.includes('uploader'));
    const mine = await call('GET', '/v1/notarizations', {
      token: await login(uploader?.username as string, uploader?.password as string),
    });
    expect(mine.body.items.length).toBeGreaterThan(0);
    for (const id of first.notarizations) {
      const one = await call('GET', `/v1/notarizations/${id}`, { token: admin });
      expect(one.status).toBe(200);
    }
    const withFile = await Promise.all(
      first.notarizations.map(
        async (id) => (await call('GET', `/v1/notarizations/${id}`, { token: admin })).body,
      ),
    );
    expect(withFile.filter((n) => n.file)).toHaveLength(2);
  });

  it('refuses a wrong admin password with a clear message', async () => {
    await expect(
      seed({ url: apiUrl(), adminUsername: 'admin', adminPassword: 'wrong-password-123' }),
    ).rejects.toThrow(/cannot sign in as admin/);
  });
});
