import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiGatewayLiveSender } from '../../shared/adapters/api-gateway-live-sender';
import { LambdaLiveNotifier } from '../../shared/adapters/lambda-live-notifier';

const connections = mockClient(ApiGatewayManagementApiClient);
const lambda = mockClient(LambdaClient);
const gone = () => new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });

beforeEach(() => {
  connections.reset();
  lambda.reset();
});

const sender = () =>
  new ApiGatewayLiveSender(
    'https://abc.execute-api.eu-central-1.amazonaws.com/dev',
    new ApiGatewayManagementApiClient({ region: 'eu-central-1' }),
  );

describe('the @connections sender', () => {
  it('posts each frame as JSON to its connection', async () => {
    connections.on(PostToConnectionCommand).resolves({});
    const frame = { type: 'subscribed', expiresAt: 1_800_000_000 } as const;
    expect(await sender().send('L0SM9cOFvHcCIhw=', frame)).toBe('sent');
    const input = connections.commandCalls(PostToConnectionCommand)[0]?.args[0].input;
    expect(input?.ConnectionId).toBe('L0SM9cOFvHcCIhw=');
    expect(JSON.parse(new TextDecoder().decode(input?.Data as Uint8Array))).toEqual(frame);
  });

  it('reports a connection API Gateway answers 410 for as gone, and rethrows anything else', async () => {
    connections.on(PostToConnectionCommand, { ConnectionId: 'gone' }).rejects(gone());
    connections
      .on(PostToConnectionCommand, { ConnectionId: 'forbidden' })
      .rejects(new ForbiddenException({ message: 'no', $metadata: { httpStatusCode: 403 } }));
    const frame = { type: 'error', code: 'invalid_message', detail: 'x' } as const;
    expect(await sender().send('gone', frame)).toBe('gone');
    await expect(sender().send('forbidden', frame)).rejects.toBeInstanceOf(ForbiddenException);
  });

  it('closes with DeleteConnection, and a connection already gone is fine', async () => {
    connections.on(DeleteConnectionCommand, { ConnectionId: 'open' }).resolves({});
    connections.on(DeleteConnectionCommand, { ConnectionId: 'gone' }).rejects(gone());
    await sender().close('open');
    await sender().close('gone');
    expect(
      connections.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId),
    ).toEqual(['open', 'gone']);
  });
});

describe('the live-push notifier', () => {
  it('invokes live-push asynchronously (Event) with the sealed range', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    await new LambdaLiveNotifier('stempel-live-push', new LambdaClient({ region: 'eu-central-1' })).logGrew({
      start: 41,
      end: 44,
    });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('stempel-live-push');
    expect(input?.InvocationType).toBe('Event');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({
      start: 41,
      end: 44,
    });
  });
});
