import { decodeJwt } from 'jose';
import { ownView } from '../shared/core/user-view';
import { httpHandler } from '../shared/http/handler';
import { noContent, ok } from '../shared/http/results';
import { auditTrail } from '../shared/runtime/audit';
import { authentication } from '../shared/runtime/auth';
import { maxBodyBytes } from '../shared/runtime/settings';

/** A new token pair; its audit event names the user it was issued to (the token's subject, just minted). */
const signedIn = (pair: { accessToken: string }) => {
  const userId = decodeJwt(pair.accessToken).sub;
  return { ...ok(pair), ...(userId ? { audit: { actor: userId, target: `user:${userId}` } } : {}) };
};

export const handler = httpHandler(
  'auth',
  {
    login: async ({ body, sourceIp }) =>
      signedIn(await authentication().login(body.username, body.password, body.otp, sourceIp)),
    refresh: async ({ body }) => signedIn(await authentication().refresh(body.refreshToken)),
    logout: async ({ principal }) => {
      await authentication().logout(principal);
      return noContent();
    },
    otpSetup: async ({ principal, body, sourceIp }) =>
      ok(await authentication().setupOtp(principal, body.currentPassword, sourceIp)),
    otpConfirm: async ({ principal, body }) => {
      await authentication().confirmOtp(principal, body.otp);
      return noContent();
    },
    changePassword: async ({ principal, body, sourceIp }) => {
      await authentication().changePassword(principal, body.currentPassword, body.newPassword, sourceIp);
      return noContent();
    },
    // From what the authorizer read on this very request: no store read.
    me: async ({ principal }) => ok(ownView(principal)),
  },
  { maxBodyBytes, audit: (event) => auditTrail().record(event) },
);
