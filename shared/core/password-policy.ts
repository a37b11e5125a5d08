import { COMMON_LONG_PASSWORDS } from './common-passwords';
import { StempelError } from './errors';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-limits';

// zxcvbn-ts's ~49k passwords seen most often in breaches, less those the length rule refuses anyway.
const common = new Set(COMMON_LONG_PASSWORDS);

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
