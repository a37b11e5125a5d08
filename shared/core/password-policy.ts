import { dictionary } from '@zxcvbn-ts/language-common';
import { StempelError } from './errors';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

// ~49k passwords seen most often in breaches, bundled with zxcvbn-ts.
const common = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** OWASP ASVS 2.1: length, not the username, not a commonly breached password. */
export function assertPasswordAcceptable(password: string, username: string): void {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (lower.includes(username.toLowerCase())) problems.push('must not contain the username');
  if (common.has(lower)) problems.push('is too common');
  if (problems.length > 0) {
    throw new StempelError('invalid', 'weak_password', `The new password ${problems.join(', ')}.`, {
      errors: problems.map((message) => ({ path: 'newPassword', message })),
    });
  }
}
