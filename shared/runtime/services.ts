import { join } from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoHealthCheck } from '../adapters/dynamo-health-check';
import { DynamoLogStore } from '../adapters/dynamo-log-store';
import { DynamoLoginAttempts } from '../adapters/dynamo-login-attempts';
import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { DynamoSessionStore } from '../adapters/dynamo-session-store';
import { DynamoUserStore } from '../adapters/dynamo-user-store';
import { EnvSettings } from '../adapters/env-settings';
import { KmsMessageAuthenticator } from '../adapters/kms-message-authenticator';
import { KmsSecretBox } from '../adapters/kms-secret-box';
import { KmsSigner } from '../adapters/kms-signer';
import { LocalMessageAuthenticator } from '../adapters/local-message-authenticator';
import { LocalSecretBox } from '../adapters/local-secret-box';
import { LocalSigner } from '../adapters/local-signer';
import { S3HealthCheck } from '../adapters/s3-health-check';
import { SsmSettings } from '../adapters/ssm-settings';
import { AccessTokens } from '../core/access-tokens';
import { type AuthEvent, Authentication } from '../core/authentication';
import { Cursors } from '../core/cursors';
import { Identity } from '../core/identity';
import { Integrator } from '../core/integrator';
import { Notary } from '../core/notary';
import { Transparency } from '../core/transparency';
import { logger, metrics } from '../http/observability';
import type { MessageAuthenticator } from '../ports/message-authenticator';
import type { SecretBox } from '../ports/secret-box';
import type { Signer } from '../ports/signer';
import { documentsBucket, identityTable, logTable, notarizationsTable, resourceName } from '../tables';
import { ENV } from './environment';

/**
 * The composition root: picks adapters from the environment, the same way in
 * Lambda and in the local runtime. Each service is built on first use, so a
 * function only touches (and needs permissions for) what it uses.
 */
const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => {
    if (value === undefined) {
      value = make();
      // A failed start (KMS or SSM throttled at cold start) is retried on the next call, not cached.
      if (value instanceof Promise) value.catch(() => (value = undefined));
    }
    return value;
  };
};

export const settingsSource = once(() => {
  const parameter = process.env[ENV.settingsParameter];
  return parameter ? new SsmSettings(parameter) : new EnvSettings();
});

export const settings = () => settingsSource().load();

/** A KMS key in AWS, a key file in the local data directory otherwise. */
const localOrKms = <T>(
  kmsKeyVariable: string,
  kms: (keyId: string) => T,
  local: (path: string) => T,
  file: string,
): T => {
  const keyId = process.env[kmsKeyVariable];
  if (keyId) return kms(keyId);
  const dataDir = process.env[ENV.dataDir];
  if (dataDir) return local(join(dataDir, 'keys', file));
  throw new Error(`set ${kmsKeyVariable} (AWS) or ${ENV.dataDir} (local)`);
};

const signer = (kmsKeyVariable: string, file: string): Signer =>
  localOrKms<Signer>(
    kmsKeyVariable,
    (id) => new KmsSigner(id),
    (path) => new LocalSigner(path),
    file,
  );

/** Resolves the key on first use, so functions that never sign need neither the key nor its variable. */
const lazy = (make: () => Signer): Signer => ({
  sign: (message) => make().sign(message),
  publicKey: () => make().publicKey(),
});

export const tokenSigner = once(() => signer(ENV.tokenKeyId, 'access-token-ed25519.pem'));
export const logSigner = once(() => lazy(once(() => signer(ENV.logKeyId, 'log-ed25519.pem'))));
export const secretBox = once(() =>
  localOrKms<SecretBox>(
    ENV.dataKeyId,
    (id) => new KmsSecretBox(id),
    (path) => new LocalSecretBox(path),
    'secret-box.key',
  ),
);
export const logStore = once(() => new DynamoLogStore());

/** The key is resolved on the first page that has a cursor, so tools that list nothing need none. */
const cursorAuthenticator = once(() =>
  localOrKms<MessageAuthenticator>(
    ENV.cursorKeyId,
    (id) => new KmsMessageAuthenticator(id),
    (path) => new LocalMessageAuthenticator(path),
    'cursor-hmac.key',
  ),
);
export const cursors = once(
  () =>
    new Cursors({
      mac: (m) => cursorAuthenticator().mac(m),
      verify: (m, t) => cursorAuthenticator().verify(m, t),
    }),
);

export const userStore = once(() => new DynamoUserStore());
export const loginAttempts = once(() => new DynamoLoginAttempts());
export const accessTokens = once(() => new AccessTokens(tokenSigner(), settings));
export const identity = once(() => new Identity(userStore(), loginAttempts(), cursors()));

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

export const authentication = once(
  () =>
    new Authentication({
      users: userStore(),
      sessions: new DynamoSessionStore(),
      attempts: loginAttempts(),
      // Tokens are resolved on first use, so tools that only manage users need no signing key.
      tokens: { issue: (u, s) => accessTokens().issue(u, s), verify: (t) => accessTokens().verify(t) },
      secrets: { seal: (p, c) => secretBox().seal(p, c), open: (p, c) => secretBox().open(p, c) },
      settings,
      onEvent: recordAuthEvent,
    }),
);
export const notary = once(
  () =>
    new Notary(new DynamoNotarizationStore(), cursors(), {
      oldestPending: async () => {
        const [oldest] = await logStore().pending(1);
        return oldest ? new Date(oldest.receivedAt) : undefined;
      },
      maxLagSeconds: async () => (await settings()).maxIntegrationLagSeconds,
    }),
);

/** The log's origin is configuration, read once per process (a change needs a new key name anyway). */
const logOrigin = once(async () => (await settings()).logOrigin);
export const integrator = once(
  async () => new Integrator(logStore(), logSigner(), { origin: await logOrigin() }),
);
export const transparency = once(async () => new Transparency(logStore(), logSigner(), await logOrigin()));

export const healthChecks = once(() => [
  new DynamoHealthCheck('identityTable', resourceName(identityTable)),
  new DynamoHealthCheck('notarizationsTable', resourceName(notarizationsTable)),
  new DynamoHealthCheck('logTable', resourceName(logTable)),
  new S3HealthCheck('documentsBucket', resourceName(documentsBucket)),
]);

export const maxBodyBytes = async () => (await settings()).maxBodyBytes;
