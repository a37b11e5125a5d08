import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Anchor, AnchorStore, AnchorToken } from '../ports/anchor-store';
import { anchorsTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';

/** Sort keys order as strings: sizes are written as 16 zero-padded digits (up to 10^16 entries). */
const sizeKey = (size: number) => String(size).padStart(16, '0');
/** Each TSA's token is its own attribute, so adding one never rewrites (or races with) another's. */
const TOKEN_PREFIX = 'tsa:';

const toAnchor = (item: Record<string, unknown>): Anchor => ({
  size: item.size as number,
  checkpoint: item.checkpoint as string,
  anchoredAt: item.anchoredAt as string,
  tokens: Object.entries(item)
    .filter(([name]) => name.startsWith(TOKEN_PREFIX))
    .map(([name, value]) => {
      const { token, genTime } = value as { token: Uint8Array; genTime: string };
      return { tsa: name.slice(TOKEN_PREFIX.length), token, genTime };
    })
    .sort((a, b) => (a.genTime < b.genTime ? -1 : a.genTime > b.genTime ? 1 : 0)),
});

/** The log's external anchors in the Anchors table, one item per anchored checkpoint. */
export class DynamoAnchorStore implements AnchorStore {
  constructor(
    /** The log's origin: the partition of its anchors. */
    private readonly origin: string,
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(anchorsTable),
  ) {}

  latest(): Promise<Anchor | undefined> {
    return this.first({ KeyConditionExpression: 'pk = :log', ScanIndexForward: false });
  }

  firstCovering(index: number): Promise<Anchor | undefined> {
    return this.first({
      KeyConditionExpression: 'pk = :log AND sk > :index',
      ScanIndexForward: true,
      extra: { ':index': sizeKey(index) },
    });
  }

  async addToken(anchor: { size: number; checkpoint: string; at: string }, token: AnchorToken) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: this.origin, sk: sizeKey(anchor.size) },
        UpdateExpression:
          'SET #size = :size, checkpoint = if_not_exists(checkpoint, :cp), anchoredAt = if_not_exists(anchoredAt, :at), #tok = if_not_exists(#tok, :tok)',
        ExpressionAttributeNames: { '#size': 'size', '#tok': `${TOKEN_PREFIX}${token.tsa}` },
        ExpressionAttributeValues: {
          ':size': anchor.size,
          ':cp': anchor.checkpoint,
          ':at': anchor.at,
          ':tok': { token: token.token, genTime: token.genTime },
        },
      }),
    );
  }

  private async first(query: {
    KeyConditionExpression: string;
    ScanIndexForward: boolean;
    extra?: Record<string, string>;
  }): Promise<Anchor | undefined> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: query.KeyConditionExpression,
        ExpressionAttributeValues: { ':log': this.origin, ...query.extra },
        ScanIndexForward: query.ScanIndexForward,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return Items[0] ? toAnchor(Items[0]) : undefined;
  }
}
