import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { OwnerKeyStore } from '../ports/owner-key-store';
import { filesTable, resourceName } from '../tables';
import { dynamoDocumentClient, updateIf } from './dynamo-client';

const ownerKeyKey = (owner: string) => ({ pk: `OWNERKEY#${owner}`, sk: 'OWNERKEY' });

/** Wrapped owner keys in the Files table, one item per owner, never expiring. */
export class DynamoOwnerKeyStore implements OwnerKeyStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(filesTable),
  ) {}

  async get(owner: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: ownerKeyKey(owner), ConsistentRead: true }),
    );
    return Item?.wrapped as string | undefined;
  }

  putIfAbsent(owner: string, wrapped: string): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.tableName,
      Key: ownerKeyKey(owner),
      UpdateExpression: 'SET #wrapped = :w',
      ExpressionAttributeNames: { '#wrapped': 'wrapped' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: { ':w': wrapped },
    });
  }

  async delete(owner: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: ownerKeyKey(owner) }));
  }
}
