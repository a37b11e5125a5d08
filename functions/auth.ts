import { httpHandler } from '../shared/http/handler';
import { noContent, ok } from '../shared/http/results';
import { authentication, identity, maxBodyBytes } from '../shared/runtime/services';

export const handler = httpHandler(
  'auth',
  {
    login: async ({ body }) => ok(await authentication().login(body.username, body.password, body.otp)),
    refresh: async ({ body }) => ok(await authentication().refresh(body.refreshToken)),
    logout: async ({ principal }) => {
      await authentication().logout(principal);
      return noContent();
    },
    otpSetup: async ({ principal, body }) =>
      ok(await authentication().setupOtp(principal, body.currentPassword)),
    otpConfirm: async ({ principal, body }) => {
      await authentication().confirmOtp(principal, body.otp);
      return noContent();
    },
    changePassword: async ({ principal, body }) => {
      await authentication().changePassword(principal, body.currentPassword, body.newPassword);
      return noContent();
    },
    me: async ({ principal }) => ok(await identity().me(principal)),
  },
  { maxBodyBytes },
);
