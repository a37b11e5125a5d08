import { httpHandler } from '../shared/http/handler';
import { noContent, ok } from '../shared/http/results';
import { authentication } from '../shared/runtime/auth';
import { maxBodyBytes } from '../shared/runtime/settings';
import { identity } from '../shared/runtime/users';

export const handler = httpHandler(
  'auth',
  {
    login: async ({ body, sourceIp }) =>
      ok(await authentication().login(body.username, body.password, body.otp, sourceIp)),
    refresh: async ({ body }) => ok(await authentication().refresh(body.refreshToken)),
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
    me: async ({ principal }) => ok(await identity().me(principal)),
  },
  { maxBodyBytes },
);
