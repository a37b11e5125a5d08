import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { logger, traceHandler } from '../shared/http/observability';
import { liveChannel } from '../shared/runtime/live';

/**
 * The live channel's WebSocket routes (docs/live.md). `$connect` accepts
 * every connection: clients authenticate in their first frame (browsers
 * cannot set headers on a WebSocket, and a token in the query string would
 * land in access logs), and nothing is pushed to a connection until it has.
 * `subscribe` and `$default` (any other frame) go to the channel, which
 * answers through @connections; `$disconnect` forgets the subscription.
 */
export const handler = middy<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(traceHandler())
  .handler(async (event) => {
    const { routeKey, connectionId } = event.requestContext;
    if (routeKey === '$disconnect') await liveChannel().disconnected(connectionId);
    else if (routeKey !== '$connect') await liveChannel().receive(connectionId, event.body);
    return { statusCode: 200 };
  });
