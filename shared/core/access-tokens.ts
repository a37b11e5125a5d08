import { randomUUID } from 'node:crypto';
import { base64url, calculateJwkThumbprint, importJWK, type JWK, jwtVerify } from 'jose';
import type { Signer } from '../ports/signer';
import { StempelError } from './errors';

/** The only algorithm accepted: anything else (none, HS256, RS256 …) is refused by jose. */
const ALGORITHM = 'EdDSA';
/** Seconds of clock skew accepted on exp and nbf: Lambda hosts' clocks differ by a second or two. */
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessTokenClaims {
  readonly userId: string;
  /** The session (refresh-token family) the token belongs to. */
  readonly sessionId: string;
  readonly tokenId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
}

/**
 * Short-lived JWT access tokens signed with Ed25519. Signing goes through the
 * Signer port (KMS in AWS), so the private key never enters this process; the
 * compact JWS is assembled here because jose cannot sign with a remote key.
 * Verification is entirely jose's, with an algorithm allow-list and iss, aud,
 * exp, nbf and kid checked.
 */
export class AccessTokens {
  private verificationKey?: Promise<{ key: Awaited<ReturnType<typeof importJWK>>; kid: string }>;

  constructor(
    private readonly signer: Signer,
    private readonly settings: () => Promise<TokenSettings>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async issue(
    userId: string,
    sessionId: string,
  ): Promise<{ token: string; expiresIn: number; claims: AccessTokenClaims }> {
    const { issuer, audience, accessTokenTtlSeconds } = await this.settings();
    const { kid } = await this.key();
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const claims: AccessTokenClaims = {
      userId,
      sessionId,
      tokenId: randomUUID(),
      issuedAt,
      expiresAt: issuedAt + accessTokenTtlSeconds,
    };
    const header = { alg: ALGORITHM, typ: 'at+jwt', kid };
    const payload = {
      iss: issuer,
      aud: audience,
      sub: userId,
      sid: sessionId,
      jti: claims.tokenId,
      iat: issuedAt,
      nbf: issuedAt,
      exp: claims.expiresAt,
    };
    const encode = (part: object) => base64url.encode(JSON.stringify(part));
    const signingInput = `${encode(header)}.${encode(payload)}`;
    const signature = await this.signer.sign(new TextEncoder().encode(signingInput));
    return {
      token: `${signingInput}.${base64url.encode(signature)}`,
      expiresIn: accessTokenTtlSeconds,
      claims,
    };
  }

  /** Throws StempelError `invalid_token` for any token that is not ours, current and intact. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const { issuer, audience } = await this.settings();
    const { key, kid } = await this.key();
    try {
      const { payload, protectedHeader } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer,
        audience,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp', 'nbf'],
        currentDate: this.now(),
        // Lambda hosts' clocks drift by a second or two: a token minted on one must not be "not yet valid" on another.
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (protectedHeader.kid !== kid) throw new Error('unknown kid');
      return {
        userId: String(payload.sub),
        sessionId: String(payload.sid),
        tokenId: String(payload.jti),
        issuedAt: Number(payload.iat),
        expiresAt: Number(payload.exp),
      };
    } catch {
      throw new StempelError(
        'unauthenticated',
        'invalid_token',
        'The access token is missing, invalid or expired.',
      );
    }
  }

  private key() {
    if (!this.verificationKey) {
      this.verificationKey = (async () => {
        const jwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: base64url.encode(await this.signer.publicKey()) };
        return { key: await importJWK(jwk, ALGORITHM), kid: await calculateJwkThumbprint(jwk) };
      })();
      // Retry after a failure (KMS throttled at cold start) instead of failing every later request.
      this.verificationKey.catch(() => {
        this.verificationKey = undefined;
      });
    }
    return this.verificationKey;
  }
}
