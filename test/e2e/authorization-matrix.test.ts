import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Role } from '../../shared/core/roles';
import { routeList } from '../../shared/http/routes';
import { adminToken, call, createUser, login } from '../support/http';

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'admin', 'uploader', 'verifier'];

/** What the route table promises each caller: refused (401/403), or let through to the operation. */
const expected = (
  access: 'public' | 'signed-in' | readonly Role[],
  caller: Caller,
): 401 | 403 | 'allowed' => {
  if (access === 'public') return 'allowed';
  if (caller === 'anonymous') return 401;
  if (access === 'signed-in') return 'allowed';
  return access.includes(caller) ? 'allowed' : 403;
};

describe('authorization matrix: every route × every role, from the one route table', () => {
  const tokens: Partial<Record<Caller, string>> = {};
  const credentials: Partial<Record<Caller, [string, string]>> = {};

  beforeAll(async () => {
    const admin = await adminToken();
    tokens.admin = admin;
    credentials.admin = ['admin', inject('adminPassword')];
    for (const role of ['uploader', 'verifier'] as const) {
      const user = await createUser([role], admin);
      tokens[role] = user.token;
      credentials[role] = [user.username, user.password];
    }
  });

  /** Logout ends the session it is called with, so it gets a session of its own. */
  const tokenFor = async (caller: Caller, operationId: string) => {
    if (caller === 'anonymous') return undefined;
    const [username, password] = credentials[caller] as [string, string];
    return operationId === 'logout' ? login(username, password) : tokens[caller];
  };

  for (const [operationId, route] of routeList()) {
    it(`${route.method} ${route.path} (${operationId})`, async () => {
      // A random id: allowed callers reach the operation (and get 404 for it), refused ones never do.
      const path = route.path.replace('{id}', randomUUID());
      for (const caller of CALLERS) {
        const token = await tokenFor(caller, operationId);
        const res = await call(route.method, path, { token, ...(route.body ? { body: {} } : {}) });
        const want = expected(route.access, caller);
        if (want === 'allowed')
          expect([401, 403], `${caller}: ${res.status} ${res.body?.code}`).not.toContain(res.status);
        else {
          expect(res.status, caller).toBe(want);
          expect(res.body.code).toBe(want === 401 ? 'unauthorized' : 'forbidden');
        }
      }
    });
  }
});
