import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Hash } from '../core/merkle';
import type { BatchCommit, CommitOutcome, LogStore, PendingNotarization, TreeHead } from '../ports/log-store';
import { nodeKey } from '../ports/log-store';
import { logTable, notarizationsTable, resourceName } from '../tables';
import { dynamoDocumentClient } from './dynamo-client';
import { notarizationKey, PENDING_QUEUE } from './dynamo-notarization-store';

const BATCH_GET_LIMIT = 100;

/**
 * The Merkle log in DynamoDB: a node per item keyed `<log>/N/<level>/<index>`
 * and the head at `<log>/HEAD`. A batch is one TransactWriteItems across the
 * log and notarizations tables, guarded by the head's size and by each
 * notarization not having an index yet.
 */
export class DynamoLogStore implements LogStore {
  constructor(
    private readonly logId = 'notary',
    private readonly db = dynamoDocumentClient(),
    private readonly logTableName = resourceName(logTable),
    private readonly notarizationsTableName = resourceName(notarizationsTable),
  ) {}

  private nodePk = (level: number, index: number) => `${this.logId}/N/${level}/${index}`;
  private get headPk() {
    return `${this.logId}/HEAD`;
  }

  async head(): Promise<TreeHead | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.logTableName, Key: { pk: this.headPk }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      size: Item.size as number,
      rootHash: Item.rootHash as Uint8Array,
      checkpoint: Item.checkpoint as string,
    };
  }

  async readNodes(coordinates: readonly (readonly [number, number])[]): Promise<Map<string, Hash>> {
    const byPk = new Map(coordinates.map(([l, i]) => [this.nodePk(l, i), nodeKey(l, i)]));
    const found = new Map<string, Hash>();
    let keys = [...byPk.keys()].map((pk) => ({ pk }));
    while (keys.length > 0) {
      const chunk = keys.slice(0, BATCH_GET_LIMIT);
      keys = keys.slice(BATCH_GET_LIMIT);
      const { Responses, UnprocessedKeys } = await this.db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.logTableName]: {
              Keys: chunk,
              ConsistentRead: true,
              ProjectionExpression: 'pk, #h',
              ExpressionAttributeNames: { '#h': 'hash' },
            },
          },
        }),
      );
      for (const item of Responses?.[this.logTableName] ?? []) {
        found.set(byPk.get(item.pk as string) as string, item.hash as Uint8Array);
      }
      keys.push(...((UnprocessedKeys?.[this.logTableName]?.Keys ?? []) as { pk: string }[]));
    }
    return found;
  }

  async leafEntry(index: number): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.logTableName,
        Key: { pk: this.nodePk(0, index) },
        ConsistentRead: true,
      }),
    );
    return Item?.entry as string | undefined;
  }

  async pending(limit: number): Promise<readonly PendingNotarization[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.notarizationsTableName,
        IndexName: 'byPending',
        KeyConditionExpression: 'pending = :q',
        ExpressionAttributeValues: { ':q': PENDING_QUEUE },
        Limit: limit,
      }),
    );
    return Items.map((i) => ({
      id: i.id as string,
      owner: i.owner as string,
      sha256: i.sha256 as string,
      receivedAt: i.receivedAt as string,
    }));
  }

  async initialize(empty: TreeHead): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.logTableName,
          Item: { pk: this.headPk, size: empty.size, rootHash: empty.rootHash, checkpoint: empty.checkpoint },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async commit(batch: BatchCommit): Promise<CommitOutcome> {
    const { head, previousSize } = batch;
    const leafEntries = new Map(batch.entries.map((e, i) => [previousSize + i, e]));
    const headUpdate = {
      Update: {
        TableName: this.logTableName,
        Key: { pk: this.headPk },
        UpdateExpression: 'SET #s = :size, rootHash = :root, checkpoint = :cp',
        // From size 0 the head may be the published empty one, or (a log started before that existed) none.
        ConditionExpression:
          previousSize === 0 ? 'attribute_not_exists(pk) OR #s = :previous' : '#s = :previous',
        ExpressionAttributeNames: { '#s': 'size' },
        ExpressionAttributeValues: {
          ':size': head.size,
          ':root': head.rootHash,
          ':cp': head.checkpoint,
          ':previous': previousSize,
        },
      },
    };
    const seals = batch.entries.map((e, i) => ({
      Update: {
        TableName: this.notarizationsTableName,
        Key: notarizationKey(e.notarizationId),
        UpdateExpression: 'SET #st = :sealed, logIndex = :i, sealedAt = :at REMOVE pending',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(logIndex)',
        ExpressionAttributeNames: { '#st': 'status' },
        ExpressionAttributeValues: { ':sealed': 'sealed', ':i': previousSize + i, ':at': batch.sealedAt },
      },
    }));
    const nodes = batch.nodes.map(([level, index, hash]) => {
      const leaf = level === 0 ? leafEntries.get(index) : undefined;
      return {
        Put: {
          TableName: this.logTableName,
          Item: {
            pk: this.nodePk(level, index),
            hash,
            ...(leaf ? { entry: leaf.entry, notarizationId: leaf.notarizationId } : {}),
          },
        },
      };
    });
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [headUpdate, ...seals, ...nodes] }));
      return { kind: 'committed' };
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return { kind: 'head_moved' };
      const done = batch.entries
        .filter((_, i) => reasons[i + 1]?.Code === 'ConditionalCheckFailed')
        .map((e) => e.notarizationId);
      if (done.length > 0) return { kind: 'already_integrated', notarizationIds: done };
      throw err;
    }
  }
}
