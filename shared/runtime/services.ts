import { join } from 'node:path';
import { DynamoHealthCheck } from '../adapters/dynamo-health-check';
import { DynamoLogStore } from '../adapters/dynamo-log-store';
import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { DynamoUserStore } from '../adapters/dynamo-user-store';
import { EnvSettings } from '../adapters/env-settings';
import { KmsSigner } from '../adapters/kms-signer';
import { LocalSigner } from '../adapters/local-signer';
import { S3HealthCheck } from '../adapters/s3-health-check';
import { SsmSettings } from '../adapters/ssm-settings';
import { AccessTokens } from '../core/access-tokens';
import { Identity } from '../core/identity';
import { Integrator } from '../core/integrator';
import { Notary } from '../core/notary';
import { Transparency } from '../core/transparency';
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
    value ??= make();
    return value;
  };
};

export const settingsSource = once(() => {
  const parameter = process.env[ENV.settingsParameter];
  return parameter ? new SsmSettings(parameter) : new EnvSettings();
});

export const settings = () => settingsSource().load();

/** A KMS key in AWS, a key file in the local data directory otherwise. */
const signer = (kmsKeyVariable: string, localFile: string): Signer => {
  const keyId = process.env[kmsKeyVariable];
  if (keyId) return new KmsSigner(keyId);
  const dataDir = process.env[ENV.dataDir];
  if (dataDir) return new LocalSigner(join(dataDir, 'keys', localFile));
  throw new Error(`set ${kmsKeyVariable} (AWS) or ${ENV.dataDir} (local)`);
};

/** Resolves the key on first use, so functions that never sign need neither the key nor its variable. */
const lazy = (make: () => Signer): Signer => ({
  sign: (message) => make().sign(message),
  publicKey: () => make().publicKey(),
});

export const tokenSigner = once(() => signer(ENV.tokenKeyId, 'access-token-ed25519.pem'));
export const logSigner = once(() => lazy(once(() => signer(ENV.logKeyId, 'log-ed25519.pem'))));
export const logStore = once(() => new DynamoLogStore());

export const userStore = once(() => new DynamoUserStore());
export const accessTokens = once(() => new AccessTokens(tokenSigner(), settings));
// Tokens are resolved on first login, so tools that only manage users need no signing key.
export const identity = once(
  () => new Identity(userStore(), { issue: (userId) => accessTokens().issue(userId) }),
);
export const notary = once(() => new Notary(new DynamoNotarizationStore()));

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
