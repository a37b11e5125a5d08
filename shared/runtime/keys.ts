import { join } from 'node:path';
import { KmsMessageAuthenticator } from '../adapters/kms-message-authenticator';
import { KmsSecretBox } from '../adapters/kms-secret-box';
import { KmsSigner } from '../adapters/kms-signer';
import { LocalMessageAuthenticator } from '../adapters/local-message-authenticator';
import { LocalSecretBox } from '../adapters/local-secret-box';
import { LocalSigner } from '../adapters/local-signer';
import { Cursors } from '../core/cursors';
import type { MessageAuthenticator } from '../ports/message-authenticator';
import type { SecretBox } from '../ports/secret-box';
import type { Signer } from '../ports/signer';
import { ENV } from './environment';
import { once } from './once';

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

export const tokenSigner = /* @__PURE__ */ once(() => signer(ENV.tokenKeyId, 'access-token-ed25519.pem'));
export const logSigner = /* @__PURE__ */ once(() =>
  lazy(once(() => signer(ENV.logKeyId, 'log-ed25519.pem'))),
);

export const auditSigner = /* @__PURE__ */ once(() =>
  lazy(once(() => signer(ENV.auditKeyId, 'audit-ed25519.pem'))),
);

export const secretBox = /* @__PURE__ */ once(() =>
  localOrKms<SecretBox>(
    ENV.dataKeyId,
    (id) => new KmsSecretBox(id),
    (path) => new LocalSecretBox(path),
    'secret-box.key',
  ),
);

/** The key is resolved on the first page that has a cursor, so tools that list nothing need none. */
const cursorAuthenticator = /* @__PURE__ */ once(() =>
  localOrKms<MessageAuthenticator>(
    ENV.cursorKeyId,
    (id) => new KmsMessageAuthenticator(id),
    (path) => new LocalMessageAuthenticator(path),
    'cursor-hmac.key',
  ),
);

export const cursors = /* @__PURE__ */ once(
  () =>
    new Cursors({
      mac: (m) => cursorAuthenticator().mac(m),
      verify: (m, t) => cursorAuthenticator().verify(m, t),
    }),
);
