import { DynamoAnchorStore } from '../adapters/dynamo-anchor-store';
import { DynamoLogStore } from '../adapters/dynamo-log-store';
import { Integrator } from '../core/integrator';
import { Transparency } from '../core/transparency';
import { logSigner } from './keys';
import { announceSealed } from './live-notifier';
import { once } from './once';
import { logOrigin, settings } from './settings';

/** Composition root of the log, integrator and (for receipts) notarizations functions. */
export const logStore = /* @__PURE__ */ once(() => new DynamoLogStore());

export const integrator = /* @__PURE__ */ once(
  async () =>
    new Integrator(logStore(), logSigner(), {
      origin: await logOrigin(),
      sealWindow: async () => {
        const { maxSealDelaySeconds, maxClockSkewSeconds } = await settings();
        return { maxDelaySeconds: maxSealDelaySeconds, maxSkewSeconds: maxClockSkewSeconds };
      },
      // Each sealed range to the live channel's subscribers (docs/live.md).
      onSealed: announceSealed,
    }),
);

export const anchorStore = /* @__PURE__ */ once(async () => new DynamoAnchorStore(await logOrigin()));

export const transparency = /* @__PURE__ */ once(
  async () => new Transparency(logStore(), logSigner(), await logOrigin(), await anchorStore()),
);
