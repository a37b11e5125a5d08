import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { LoginAttempts } from '../ports/login-attempts';
import type { SecretBox } from '../ports/secret-box';
import type { Session, SessionStore } from '../ports/session-store';
import type { UserRecord, UserStore } from '../ports/user-store';
import type { AccessTokens } from './access-tokens';
import type { AuditEvent, AuditFor } from './audit-event';
import { StempelError } from './errors';
import { decoyPasswordHash, hashPassword, verifyPassword } from './password-hash';
import { assertPasswordAcceptable } from './password-policy';
import type { Principal } from './roles';
import { isLive, MAX_SESSIONS_PER_USER } from './sessions';
import type { Settings } from './settings';
import { sourceNetwork } from './source-network';
import { newTotpSecret, totpStep, totpUri } from './totp';

export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly mustChangePassword: boolean;
}

export type AuthSettings = Pick<
  Settings,
  | 'sessionIdleSeconds'
  | 'sessionMaxSeconds'
  | 'lockoutThreshold'
  | 'lockoutUsernameThreshold'
  | 'lockoutBaseSeconds'
  | 'lockoutMaxSeconds'
>;

export interface AuthenticationDeps {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly attempts: LoginAttempts;
  readonly tokens: Pick<AccessTokens, 'issue'>;
  readonly secrets: SecretBox;
  readonly settings: () => Promise<AuthSettings>;
  readonly now?: () => Date;
  /** Told about security events (for metrics and the audit trail); never given secrets. */
  readonly onEvent?: (event: AuthEvent) => void;
}

export type AuthEvent =
  | { readonly type: 'login_succeeded'; readonly userId: string }
  | { readonly type: 'login_failed'; readonly userId?: string; readonly locked: boolean }
  | { readonly type: 'login_refused_locked' }
  | { readonly type: 'refresh_token_reused'; readonly userId: string; readonly sessionId: string }
  | { readonly type: 'logout'; readonly userId: string; readonly sessionId: string }
  | { readonly type: 'otp_enabled'; readonly userId: string };

const badCredentials = () =>
  new StempelError(
    'unauthenticated',
    'invalid_credentials',
    'The username, password or one-time code is incorrect.',
  );
const badRefreshToken = () =>
  new StempelError(
    'unauthenticated',
    'invalid_refresh_token',
    'The refresh token is invalid, expired or revoked.',
  );
/** The same answer as any bad token; the audit trail learns that a spent one came back and whose family ended. */
const reusedRefreshToken = (userId: string) => {
  const { kind, code, detail } = badRefreshToken();
  return new StempelError(kind, code, detail, { auditSubject: userId, auditReason: 'refresh_token_reused' });
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** `<user id>.<session id>.<secret>`: the ids say where the session is kept, the secret proves possession. */
const REFRESH_TOKEN = /^([0-9a-f-]{36})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;
const refreshTokenFor = (s: Pick<Session, 'userId' | 'id'>) =>
  `${s.userId}.${s.id}.${randomBytes(32).toString('base64url')}`;

/** Login and refresh act on the account they sign into: it is the event's actor and target. */
const ownAccount = (userId: string) => ({ actor: userId, target: `user:${userId}` });

const TOTP_CONTEXT = (userId: string) => ({ userId, purpose: 'totp' });

/**
 * Login, refresh-token rotation, logout, TOTP, and the authorizer's decision.
 * Failed logins lock the username (existing or not) for the source network
 * they come from, and for every source once a higher ceiling is reached, with
 * exponential backoff. A refresh token is single-use and presenting a spent
 * one revokes its whole family; every access token names its family, so
 * revoking the family or the token itself stops it at the next request. Every
 * session is bound to the credential version it verified: a password change
 * or a disable ends it, even when the login was in flight at that moment.
 */
export class Authentication {
  private readonly now: () => Date;

  constructor(private readonly deps: AuthenticationDeps) {
    this.now = deps.now ?? (() => new Date());
    // Ready before the first unknown username arrives, so that login costs one KDF run like every other.
    decoyPasswordHash().catch(() => undefined);
  }

  /** `sourceIp`: the client's address as the gateway saw it; failures are counted per source network. */
  async login(
    username: string,
    password: string,
    otp: string | undefined,
    sourceIp: string,
    audit?: AuditFor,
  ): Promise<TokenPair> {
    const name = username.toLowerCase();
    const source = sourceNetwork(sourceIp);
    const nowMs = this.now().getTime();
    const attempt = await this.claimAttempt(name, source, nowMs);
    const user = await this.deps.users.getByUsername(name);
    const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (!user || !passwordOk || user.disabled) return this.fail(user?.id, attempt.locked);
    if (user.otpSecret !== undefined) {
      if (otp === undefined) {
        throw new StempelError(
          'unauthenticated',
          'otp_required',
          'This account needs a one-time code (field "otp").',
        );
      }
      const secret = await this.deps.secrets.open(user.otpSecret, TOTP_CONTEXT(user.id));
      const step = await totpStep(secret, otp, nowMs, user.otpLastStep);
      if (step === undefined || !(await this.deps.users.acceptOtpStep(user.id, step))) {
        return this.fail(user.id, attempt.locked);
      }
    }
    // The session is added only while the user still has the credentials just verified: a
    // password change or disable that landed while the password was checked voids this login.
    const session = await this.startSession(user, audit?.(ownAccount(user.id)));
    if (!session) return this.fail(user.id, attempt.locked);
    await this.clearAttempts(name, source);
    this.deps.onEvent?.({ type: 'login_succeeded', userId: user.id });
    return this.tokensFor(user, session.id, session.refreshToken);
  }

  /**
   * Changes the caller's password. Every other session and access token of
   * the user ends; this session lives on. A wrong current password counts
   * toward the login lockout, so this is no way around it.
   */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    sourceIp: string,
    audit?: AuditFor,
  ): Promise<void> {
    const user = await this.reauthenticate(principal, currentPassword, sourceIp);
    if (currentPassword === newPassword) {
      throw new StempelError(
        'invalid',
        'weak_password',
        'The new password must differ from the current one.',
        {
          errors: [{ path: 'newPassword', message: 'must differ from the current password' }],
        },
      );
    }
    assertPasswordAcceptable(newPassword, user.username);
    // One write: the new password, the next credential version, and only this session kept, bound to it.
    await this.deps.users.setPassword(
      user.id,
      await hashPassword(newPassword),
      false,
      this.now().toISOString(),
      user.credentialVersion,
      user.sessions[principal.sessionId],
      audit?.(),
    );
  }

  async refresh(refreshToken: string, audit?: AuditFor): Promise<TokenPair> {
    const match = REFRESH_TOKEN.exec(refreshToken);
    if (!match) throw badRefreshToken();
    const [, userId = '', sessionId = ''] = match;
    const user = await this.deps.users.getById(userId);
    const session = user?.sessions[sessionId];
    if (!user || !session) throw badRefreshToken();
    const presentedHash = sha256(refreshToken);
    if (!timingSafeEqual(Buffer.from(presentedHash), Buffer.from(session.currentTokenHash))) {
      // A token this family spent came back: someone holds a copy. End the family for everyone.
      // Anything else is a guess (user and session ids are no secret) and changes nothing.
      if (await this.deps.sessions.wasSpent(sessionId, presentedHash)) {
        await this.deps.sessions.revoke(userId, sessionId);
        this.deps.onEvent?.({ type: 'refresh_token_reused', userId, sessionId });
        throw reusedRefreshToken(userId);
      }
      throw badRefreshToken();
    }
    const nowS = Math.floor(this.now().getTime() / 1000);
    if (user.disabled || !isLive(session, user.credentialVersion, nowS)) {
      await this.deps.sessions.revoke(userId, sessionId);
      throw badRefreshToken();
    }
    const { sessionIdleSeconds } = await this.deps.settings();
    const next = refreshTokenFor(session);
    const idleExpiresAt = Math.min(nowS + sessionIdleSeconds, session.absoluteExpiresAt);
    const rotation = await this.deps.sessions.rotate(
      session,
      sha256(next),
      idleExpiresAt,
      audit?.(ownAccount(userId)),
    );
    // Ended meanwhile (logout, password change, disable): nothing to revoke, and no theft to report.
    if (rotation === 'gone') throw badRefreshToken();
    if (rotation === 'stale') {
      // Two refreshes raced with one token: treat it as reuse.
      await this.deps.sessions.revoke(userId, sessionId);
      this.deps.onEvent?.({ type: 'refresh_token_reused', userId, sessionId });
      throw reusedRefreshToken(userId);
    }
    return this.tokensFor(user, sessionId, next);
  }

  /** Revokes the session, which ends every access token it issued (the authorizer reads the session). */
  async logout(principal: Principal, audit?: AuditFor): Promise<void> {
    await this.deps.sessions.revoke(principal.userId, principal.sessionId, audit?.());
    this.deps.onEvent?.({ type: 'logout', userId: principal.userId, sessionId: principal.sessionId });
  }

  /** Starts TOTP enrolment: a new secret, shown once; 2FA is on only after confirmOtp. */
  async setupOtp(principal: Principal, currentPassword: string, sourceIp: string, audit?: AuditFor) {
    // Re-authentication: a stolen access token alone must not bind the account to an attacker's device.
    const user = await this.reauthenticate(principal, currentPassword, sourceIp);
    if (user.otpSecret !== undefined) {
      throw new StempelError('conflict', 'otp_already_enabled', 'Two-factor authentication is already on.');
    }
    const secret = newTotpSecret();
    const sealed = await this.deps.secrets.seal(secret, TOTP_CONTEXT(user.id));
    const at = this.now().toISOString();
    await this.deps.users.update(user.id, { otpPendingSecret: sealed }, at, undefined, audit?.());
    return { secret, otpauthUri: totpUri(secret, 'Stempel', user.username) };
  }

  async confirmOtp(principal: Principal, otp: string, audit?: AuditFor): Promise<void> {
    const user = await this.requireUser(principal.userId);
    if (user.otpPendingSecret === undefined) {
      throw new StempelError('conflict', 'otp_not_pending', 'Start with POST /v1/auth/otp/setup.');
    }
    const secret = await this.deps.secrets.open(user.otpPendingSecret, TOTP_CONTEXT(user.id));
    const step = await totpStep(secret, otp, this.now().getTime());
    if (step === undefined) {
      throw new StempelError('invalid', 'invalid_otp', 'The one-time code is not valid for the new secret.', {
        errors: [{ path: 'body.otp', message: 'does not match the secret' }],
      });
    }
    await this.deps.users.update(
      user.id,
      { otpSecret: user.otpPendingSecret, otpPendingSecret: null, otpLastStep: step },
      this.now().toISOString(),
      undefined,
      audit?.(),
    );
    this.deps.onEvent?.({ type: 'otp_enabled', userId: user.id });
  }

  /**
   * Counts the attempt before any password is checked, for the username from
   * this source and for the username as a whole; refuses while either is locked.
   */
  private async claimAttempt(username: string, source: string, nowMs: number) {
    const s = await this.deps.settings();
    const policy = (threshold: number) => ({
      threshold,
      lockMs: (attempts: number) =>
        Math.min(s.lockoutBaseSeconds * 2 ** (attempts - threshold), s.lockoutMaxSeconds) * 1000,
    });
    const fromSource = await this.deps.attempts.claim(username, source, nowMs, policy(s.lockoutThreshold));
    const claim = fromSource.allowed
      ? await this.deps.attempts.claim(username, '', nowMs, policy(s.lockoutUsernameThreshold))
      : fromSource;
    if (!claim.allowed) {
      this.deps.onEvent?.({ type: 'login_refused_locked' });
      throw new StempelError(
        'rate_limited',
        'too_many_attempts',
        'Too many failed logins; try again later.',
        {
          retryAfterSeconds: Math.ceil(claim.retryAfterMs / 1000),
        },
      );
    }
    return { locked: claim.locked || (fromSource.allowed && fromSource.locked) };
  }

  private async clearAttempts(username: string, source: string) {
    await Promise.all([this.deps.attempts.clear(username, source), this.deps.attempts.clear(username, '')]);
  }

  private fail(userId: string | undefined, locked: boolean): never {
    this.deps.onEvent?.({ type: 'login_failed', ...(userId ? { userId } : {}), locked });
    // The same answer whether the user exists or is now locked; only the audit trail learns which.
    const { kind, code, detail } = badCredentials();
    // A failure that locked the name says so in its audit event (reason and changes): the
    // `user.locked` webhook comes from there.
    throw new StempelError(kind, code, detail, {
      ...(userId ? { auditSubject: userId } : {}),
      ...(locked ? { auditReason: 'locked_out', auditChanges: { locked: { from: false, to: true } } } : {}),
    });
  }

  /** Checks the signed-in user's password again, under the same lockout as login. */
  private async reauthenticate(
    principal: Principal,
    password: string,
    sourceIp: string,
  ): Promise<UserRecord> {
    const user = await this.requireUser(principal.userId);
    const source = sourceNetwork(sourceIp);
    await this.claimAttempt(user.username, source, this.now().getTime());
    if (!(await verifyPassword(password, user.passwordHash))) {
      throw new StempelError('forbidden', 'invalid_current_password', 'The current password is incorrect.');
    }
    await this.clearAttempts(user.username, source);
    return user;
  }

  /**
   * A new refresh-token family bound to the credential version that was just
   * verified; undefined if the user's credentials changed meanwhile. Sessions
   * that ended by time, and the oldest beyond MAX_SESSIONS_PER_USER, are
   * forgotten in the same write.
   */
  private async startSession(user: UserRecord, audit: AuditEvent | undefined) {
    const { sessionIdleSeconds, sessionMaxSeconds } = await this.deps.settings();
    const nowS = Math.floor(this.now().getTime() / 1000);
    const absoluteExpiresAt = nowS + sessionMaxSeconds;
    const session: Session = {
      id: randomUUID(),
      userId: user.id,
      currentTokenHash: '',
      createdAt: this.now().getTime(),
      idleExpiresAt: Math.min(nowS + sessionIdleSeconds, absoluteExpiresAt),
      absoluteExpiresAt,
      credentialVersion: user.credentialVersion,
    };
    const refreshToken = refreshTokenFor(session);
    const sessions = Object.values(user.sessions);
    const live = sessions
      .filter((s) => isLive(s, user.credentialVersion, nowS))
      .sort((a, b) => b.createdAt - a.createdAt);
    const forget = [
      ...sessions.filter((s) => !isLive(s, user.credentialVersion, nowS)),
      ...live.slice(MAX_SESSIONS_PER_USER - 1),
    ].map((s) => s.id);
    const created = await this.deps.sessions.create(
      { ...session, currentTokenHash: sha256(refreshToken) },
      forget,
      audit,
    );
    return created ? { id: session.id, refreshToken } : undefined;
  }

  private async tokensFor(user: UserRecord, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const { token, expiresIn } = await this.deps.tokens.issue(user.id, sessionId);
    return {
      accessToken: token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn,
      mustChangePassword: user.mustChangePassword,
    };
  }

  private async requireUser(id: string): Promise<UserRecord> {
    const user = await this.deps.users.getById(id);
    if (!user) throw new StempelError('not_found', 'user_not_found', 'No such user.');
    return user;
  }
}
