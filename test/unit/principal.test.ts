import { describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/core/roles';
import { ownView } from '../../shared/core/user-view';
import { fromAuthorizerContext, toAuthorizerContext } from '../../shared/http/principal';

const principal: Principal = {
  userId: '0b6f1c1e-7d0a-4a53-9b8e-3f5d1a2c4e6f',
  username: 'ulla',
  roles: ['uploader', 'verifier'],
  mustChangePassword: true,
  otpEnabled: true,
  createdAt: '2026-01-02T03:04:05.678Z',
  tokenId: 't1',
  tokenExpiresAt: 1_790_000_000,
  sessionId: 's1',
};

describe('authorizer context', () => {
  it('is flat strings (API Gateway passes nothing else) and round-trips the principal', () => {
    const ctx = toAuthorizerContext(principal);
    for (const value of Object.values(ctx)) expect(typeof value).toBe('string');
    // API Gateway adds principalId next to the authorizer's context.
    expect(fromAuthorizerContext({ ...ctx, principalId: principal.userId })).toEqual(principal);
    expect(
      fromAuthorizerContext(toAuthorizerContext({ ...principal, roles: [], otpEnabled: false })),
    ).toEqual({ ...principal, roles: [], otpEnabled: false });
  });

  it('is no principal without the fields GET /v1/me answers with', () => {
    const { username: _username, ...noUsername } = toAuthorizerContext(principal);
    const { createdAt: _createdAt, ...noCreatedAt } = toAuthorizerContext(principal);
    expect(fromAuthorizerContext(noUsername)).toBeUndefined();
    expect(fromAuthorizerContext(noCreatedAt)).toBeUndefined();
    expect(fromAuthorizerContext(null)).toBeUndefined();
  });

  it('drops roles it does not know', () => {
    const ctx = { ...toAuthorizerContext(principal), roles: 'uploader,root' };
    expect(fromAuthorizerContext(ctx)?.roles).toEqual(['uploader']);
  });
});

describe('ownView', () => {
  it("is the user view, in the user view's field order, from the principal alone", () => {
    expect(JSON.stringify(ownView(principal))).toBe(
      JSON.stringify({
        id: principal.userId,
        username: 'ulla',
        roles: ['uploader', 'verifier'],
        mustChangePassword: true,
        disabled: false,
        otpEnabled: true,
        createdAt: '2026-01-02T03:04:05.678Z',
      }),
    );
  });
});
