import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { logger } from '../shared/http/logger';
import { toAuthorizerContext } from '../shared/http/principal';
import { authorizer } from '../shared/runtime/authorizer';

/**
 * REST API TOKEN authorizer. Throwing "Unauthorized" makes API Gateway answer
 * 401 (with our problem body); results are not cached, so logout, a revoked
 * session, disabling a user or changing roles take effect on the next request.
 */
export const handler = middy<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const principal = await authorizer().authorize(event.authorizationToken);
    if (!principal) throw new Error('Unauthorized');
    return {
      principalId: principal.userId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: toAuthorizerContext(principal),
    };
  });
