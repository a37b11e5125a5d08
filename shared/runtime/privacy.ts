import { DynamoAuditStore } from '../adapters/dynamo-audit-store';
import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { DynamoOwnerKeyStore } from '../adapters/dynamo-owner-key-store';
import { OwnerKeys } from '../core/owner-keys';
import { Privacy } from '../core/privacy';
import { secretBox } from './keys';
import { once } from './once';
import { identity, loginAttempts, userStore } from './users';

/** Composition root of the privacy function (GDPR export and erasure). */
export const privacy = /* @__PURE__ */ once(
  () =>
    new Privacy({
      users: userStore(),
      identity: identity(),
      attempts: loginAttempts(),
      notarizations: new DynamoNotarizationStore(),
      // Destroying a key only deletes its wrapped copy: the secret box is never asked.
      ownerKeys: new OwnerKeys(new DynamoOwnerKeyStore(), secretBox()),
      audit: new DynamoAuditStore(),
    }),
);
