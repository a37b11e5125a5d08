import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt at the OWASP Password Storage Cheat Sheet parameters (N=2^17, r=8,
 * p=1: 128 MiB and a few hundred ms per hash). Hashes are PHC strings that
 * carry their own parameters, so raising the cost later still verifies old ones.
 */
const DEFAULT = { logN: 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

const derive = (password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** logN;
    // maxmem must exceed 128 * N * r or node refuses the parameters.
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const { logN, r, p } = DEFAULT;
  const key = await derive(password, salt, logN, r, p);
  return `$scrypt$ln=${logN},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const m = PHC.exec(phc);
  if (!m) return false;
  const [, logN, r, p, salt, expected] = m as unknown as [string, string, string, string, string, string];
  const want = Buffer.from(expected, 'base64');
  const got = await derive(password, Buffer.from(salt, 'base64'), Number(logN), Number(r), Number(p));
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * A real hash of a random password, computed once: login verifies against it
 * when the username is unknown, so both paths cost one KDF run.
 */
let decoy: Promise<string> | undefined;
export const decoyPasswordHash = (): Promise<string> => {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
};
