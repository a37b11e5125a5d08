import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { Notary } from '../core/notary';
import { cursors } from './keys';
import { logStore } from './log';
import { cachedFor, once } from './once';
import { settings } from './settings';

/** How long one answer to "how old is the oldest pending entry" serves (the threshold is minutes). */
const BACKPRESSURE_CHECK_MS = 1000;

/** Composition root of the notarizations function. */
export const notary = /* @__PURE__ */ once(
  () =>
    new Notary(new DynamoNotarizationStore(), cursors(), {
      oldestPending: cachedFor(BACKPRESSURE_CHECK_MS, async () => {
        const [oldest] = await logStore().pending(1);
        return oldest ? new Date(oldest.receivedAt) : undefined;
      }),
      maxLagSeconds: async () => (await settings()).maxIntegrationLagSeconds,
    }),
);
