import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LiveConnectionStore, LiveSubscription } from '../ports/live';
import { liveConnectionsTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';

/**
 * Live channel subscriptions in DynamoDB: one item per connection
 * (`pk` = connection id, `expiresAt` = the token's exp, also the TTL).
 * Pushes scan the table: it holds only open, subscribed connections.
 */
export class DynamoLiveConnectionStore implements LiveConnectionStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(liveConnectionsTable),
  ) {}

  async save({ connectionId, expiresAt }: LiveSubscription): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { pk: connectionId, expiresAt } }));
  }

  async remove(connectionId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: connectionId } }));
  }

  async *pages(): AsyncIterable<readonly LiveSubscription[]> {
    let start: Record<string, unknown> | undefined;
    do {
      // Consistent: a connection that subscribed before the push began is in it.
      const { Items = [], LastEvaluatedKey } = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          ProjectionExpression: 'pk, expiresAt',
          ExclusiveStartKey: start,
        }),
      );
      yield Items.map((i) => ({ connectionId: i.pk as string, expiresAt: i.expiresAt as number }));
      start = LastEvaluatedKey;
    } while (start);
  }
}
