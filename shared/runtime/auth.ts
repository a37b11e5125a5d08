import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoSessionStore } from '../adapters/dynamo-session-store';
import { type AuthEvent, Authentication } from '../core/authentication';
import { logger, metrics } from '../http/observability';
import { secretBox } from './keys';
import { once } from './once';
import { settings } from './settings';
import { accessTokens } from './tokens';
import { loginAttempts, userStore } from './users';

/** Composition root of the auth function: login, sessions, password changes, TOTP. */

/** Security events become metrics and audit log lines: ids and outcomes only, never names or secrets. */
const recordAuthEvent = (event: AuthEvent) => {
  const metric = {
    login_succeeded: 'LoginSucceeded',
    login_failed: 'LoginFailed',
    login_refused_locked: 'LoginLocked',
    refresh_token_reused: 'RefreshTokenReused',
    logout: 'Logout',
    otp_enabled: 'OtpEnabled',
  }[event.type];
  metrics.addMetric(metric, MetricUnit.Count, 1);
  logger.info('audit', { audit: event });
};

export const authentication = /* @__PURE__ */ once(
  () =>
    new Authentication({
      users: userStore(),
      sessions: new DynamoSessionStore(),
      attempts: loginAttempts(),
      // Tokens are resolved on first use, so tools that only manage users need no signing key.
      tokens: { issue: (u, s) => accessTokens().issue(u, s) },
      secrets: { seal: (p, c) => secretBox().seal(p, c), open: (p, c) => secretBox().open(p, c) },
      settings,
      onEvent: recordAuthEvent,
    }),
);
