import { describe, expect, it } from 'vitest';
import { longCommonPasswords } from '../../bin/generate-common-passwords';
import { COMMON_LONG_PASSWORDS } from '../../shared/core/common-passwords';
import { StempelError } from '../../shared/core/errors';
import { hashPassword, verifyPassword } from '../../shared/core/password-hash';
import { assertPasswordAcceptable } from '../../shared/core/password-policy';

describe('password hashing (scrypt, OWASP parameters)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('Tr0ub4dor&3-horse');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('Tr0ub4dor&3-horse', hash)).toBe(true);
    expect(await verifyPassword('Tr0ub4dor&3-horsE', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same-password-twice')).not.toBe(await hashPassword('same-password-twice'));
  });

  it('treats a malformed stored hash as a mismatch', async () => {
    expect(await verifyPassword('anything', 'plaintext')).toBe(false);
    expect(await verifyPassword('anything', '$scrypt$ln=17,r=8,p=1$$')).toBe(false);
  });

  it('verifies hashes made with other parameters (they travel in the hash)', async () => {
    // ln=10 hash of "legacy-password" computed with node:crypto scrypt.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.alloc(16, 7);
    const key = scryptSync('legacy-password', salt, 32, { N: 1024, r: 8, p: 1 });
    const phc = `$scrypt$ln=10,r=8,p=1$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
    expect(await verifyPassword('legacy-password', phc)).toBe(true);
  });
});

describe('password policy', () => {
  const problems = (password: string, username = 'dora') => {
    try {
      assertPasswordAcceptable(password, username);
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(StempelError);
      return (err as StempelError).extra.errors?.map((e) => e.message) ?? [];
    }
  };

  it('accepts a long, uncommon password', () => {
    expect(problems('glass-otter-quietly-77')).toEqual([]);
  });

  it.each([
    ['short1!', 'must be at least 12 characters'],
    ['dora-the-explorer-1', 'must not contain the username'],
    ['password1234', 'is too common'],
    ['x'.repeat(257), 'must be at most 256 characters'],
  ])('refuses %s', (password, message) => {
    expect(problems(password)).toContain(message);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(problems('🔏'.repeat(11))).toContain('must be at least 12 characters');
    expect(problems('🔏'.repeat(12))).toEqual([]);
  });
});

describe('the bundled list of common passwords', () => {
  it('is exactly the library list less what the length rule refuses (npm run generate:passwords after an update)', () => {
    expect(COMMON_LONG_PASSWORDS).toEqual(longCommonPasswords());
    expect(COMMON_LONG_PASSWORDS.length).toBeGreaterThan(100);
  });

  it('refuses every one of them, in any letter case', () => {
    for (const common of COMMON_LONG_PASSWORDS) {
      expect(() => assertPasswordAcceptable(common.toUpperCase(), 'someone')).toThrow(/too common/);
    }
  });
});
