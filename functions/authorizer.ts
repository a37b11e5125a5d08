import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { authorize } from '../shared/http/authorize-token';
import { logger } from '../shared/http/observability';
import { toAuthorizerContext } from '../shared/http/principal';
import { accessTokens, userStore } from '../shared/runtime/services';

/**
 * REST API TOKEN authorizer. Throwing "Unauthorized" makes API Gateway answer
 * 401 (with our problem body); results are not cached, so disabling a user or
 * changing roles takes effect on the next request.
 */
export const handler = middy<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const principal = await authorize(event.authorizationToken, accessTokens(), userStore());
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
