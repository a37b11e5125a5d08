import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { LiveServerMessage } from '../core/live-protocol';
import type { LiveSender } from '../ports/live';

const encoder = new TextEncoder();

/**
 * Frames to WebSocket clients through API Gateway's @connections API
 * (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`). Its
 * DeleteConnection sets no close code: clients learn why from the error
 * frame sent just before.
 */
export class ApiGatewayLiveSender implements LiveSender {
  constructor(
    endpoint: string,
    private readonly client = new ApiGatewayManagementApiClient({ endpoint }),
  ) {}

  async send(connectionId: string, message: LiveServerMessage): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(
        new PostToConnectionCommand({
          ConnectionId: connectionId,
          Data: encoder.encode(JSON.stringify(message)),
        }),
      );
      return 'sent';
    } catch (err) {
      if (err instanceof GoneException) return 'gone';
      throw err;
    }
  }

  async close(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (err) {
      if (!(err instanceof GoneException)) throw err;
    }
  }
}
