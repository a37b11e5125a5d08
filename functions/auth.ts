import { ownView } from '../shared/core/user-view';
import { auditInTransaction } from '../shared/http/audit-transaction';
import { httpHandler } from '../shared/http/handler';
import { noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { authentication } from '../shared/runtime/auth';
import { maxBodyBytes } from '../shared/runtime/settings';

/**
 * Every change here writes its audit event in the same transaction as the
 * change (docs/audit.md); a refused call is recorded by the handler.
 */
export const handler = httpHandler(
  'auth',
  {
    login: async ({ body, sourceIp, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      const pair = await authentication().login(body.username, body.password, body.otp, sourceIp, tx.audit);
      return { ...ok(pair), audit: tx.answer() };
    },
    refresh: async ({ body, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      const pair = await authentication().refresh(body.refreshToken, tx.audit);
      return { ...ok(pair), audit: tx.answer() };
    },
    logout: async ({ principal, auditEvent }) => {
      const tx = auditInTransaction(auditEvent);
      await authentication().logout(principal, tx.audit);
      return { ...noContent(), audit: tx.answer() };
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
