import { HttpTimeStampClient } from '../adapters/http-timestamp-client';
import { Anchoring } from '../core/anchoring';
import { anchorStore, logStore } from './log';
import { once } from './once';
import { settings } from './settings';

/** Composition root of the anchor function. */
export const anchoring = /* @__PURE__ */ once(
  async () =>
    new Anchoring(logStore(), await anchorStore(), new HttpTimeStampClient(), async () => {
      const { externalTsas, anchorIntervalSeconds } = await settings();
      return { tsas: externalTsas, intervalSeconds: anchorIntervalSeconds };
    }),
);
