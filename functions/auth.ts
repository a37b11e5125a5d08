import type { TokenPair } from '../shared/core/authentication';
import { ownView } from '../shared/core/user-view';
import { auditInTransaction } from '../shared/http/audit-transaction';
import { FailureWithHeaders, httpHandler } from '../shared/http/handler';
import { clearRefreshCookie, presentedRefreshToken, setRefreshCookie } from '../shared/http/refresh-cookie';
import { noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { authentication } from '../shared/runtime/auth';
import { maxBodyBytes } from '../shared/runtime/settings';

/**
 * Every change here writes its audit event in the same transaction as the
 * change (docs/audit.md); a refused call is recorded by the handler.
 */
/** The token pair in the body, or (browsers) the refresh token in its cookie only. */
function tokens(pair: TokenPair, asCookie: boolean) {
  if (!asCookie) return ok(pair);
  const { refreshToken, ...rest } = pair;
  return { ...ok(rest), headers: { 'Set-Cookie': setRefreshCookie(refreshToken) } };
}

export const handler = httpHandler(
  'auth',
  {
    login: async ({ body, sourceIp, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      const pair = await authentication().login(body.username, body.password, body.otp, sourceIp, tx.audit);
      return { ...tokens(pair, body.refreshTokenDelivery === 'cookie'), audit: tx.answer() };
    },
    refresh: async ({ body, headers, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      const presented = presentedRefreshToken(body.refreshToken, headers);
      try {
        const pair = await authentication().refresh(presented.token, tx.audit);
        return { ...tokens(pair, presented.fromCookie), audit: tx.answer() };
      } catch (err) {
        // A refused cookie is dead for good: the browser should stop sending it.
        throw presented.fromCookie
          ? new FailureWithHeaders(err, { 'Set-Cookie': clearRefreshCookie() })
          : err;
      }
    },
    logout: async ({ principal, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await authentication().logout(principal, tx.audit);
      // The session is revoked either way; a browser also drops its (now useless) cookie.
      return { ...noContent(), headers: { 'Set-Cookie': clearRefreshCookie() }, audit: tx.answer() };
    },
    otpSetup: async ({ principal, body, sourceIp, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      const enrolment = await authentication().setupOtp(principal, body.currentPassword, sourceIp, tx.audit);
      return { ...ok(enrolment), audit: tx.answer() };
    },
    otpConfirm: async ({ principal, body, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await authentication().confirmOtp(principal, body.otp, tx.audit);
      return { ...noContent(), audit: tx.answer() };
    },
    changePassword: async ({ principal, body, sourceIp, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await authentication().changePassword(
        principal,
        body.currentPassword,
        body.newPassword,
        sourceIp,
        tx.audit,
      );
      return { ...noContent(), audit: tx.answer() };
    },
    // From what the authorizer read on this very request: no store read.
    me: async ({ principal }) => ok(ownView(principal)),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
