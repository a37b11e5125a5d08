import { ApiGatewayLiveSender } from '../adapters/api-gateway-live-sender';
import { DynamoLiveConnectionStore } from '../adapters/dynamo-live-connection-store';
import { LiveChannel } from '../core/live';
import type { LiveSender } from '../ports/live';
import { authorizer } from './authorizer';
import { ENV } from './environment';
import { logStore } from './log';
import { once } from './once';

/** Composition root of the live channel (docs/live.md): the WebSocket routes function and live-push. */

let localSender: LiveSender | undefined;

/** The local runtime's sockets, in place of API Gateway's @connections API. */
export function useLocalLiveSender(sender: LiveSender): void {
  localSender = sender;
}

const liveSender = (): LiveSender => {
  const endpoint = process.env[ENV.liveConnectionsEndpoint];
  if (endpoint) return new ApiGatewayLiveSender(endpoint);
  if (localSender) return localSender;
  throw new Error(`set ${ENV.liveConnectionsEndpoint} (AWS) or start the local runtime`);
};

export const liveChannel = /* @__PURE__ */ once(
  () =>
    new LiveChannel({
      authorizer: authorizer(),
      log: logStore(),
      connections: new DynamoLiveConnectionStore(),
      sender: liveSender(),
    }),
);
