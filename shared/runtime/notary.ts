import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { Notary } from '../core/notary';
import { cursors } from './keys';
import { logStore } from './log';
import { once } from './once';
import { settings } from './settings';

/** Composition root of the notarizations function. */
export const notary = /* @__PURE__ */ once(
  () =>
    new Notary(new DynamoNotarizationStore(), cursors(), {
      oldestPending: async () => {
        const [oldest] = await logStore().pending(1);
        return oldest ? new Date(oldest.receivedAt) : undefined;
      },
      maxLagSeconds: async () => (await settings()).maxIntegrationLagSeconds,
    }),
);
