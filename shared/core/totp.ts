import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 TOTP: 6 digits, 30-second steps, SHA-1 (what authenticator apps implement). */
const PERIOD = 30;
/** ±1 step of clock drift. */
const TOLERANCE_SECONDS = PERIOD;

export const newTotpSecret = (): string => generateSecret({ length: 20 });

export const totpUri = (secret: string, issuer: string, account: string): string =>
  generateURI({ issuer, label: account, secret });

/**
 * The time step of `code` if it is valid for `secret` now (±1 step) and later
 * than `afterStep`; undefined otherwise. Replays are refused by the caller
 * recording the step atomically.
 */
export async function totpStep(
  secret: string,
  code: string,
  nowMs: number,
  afterStep?: number,
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: TOLERANCE_SECONDS,
      ...(afterStep === undefined ? {} : { afterTimeStep: afterStep }),
    });
    return result.valid ? (result as { timeStep: number }).timeStep : undefined;
  } catch {
    return undefined;
  }
}
