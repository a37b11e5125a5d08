import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type TileKey, tileKey } from '../core/tile-log';
import type {
  BatchCommit,
  LogPosition,
  LogStore,
  PendingNotarization,
  SealRange,
  TreeHead,
} from '../ports/log-store';
import { logTable, notarizationsTable, resourceName } from '../tables';
import { dynamoDocumentClient, updateIf } from './dynamo-client';
import { notarizationKey, PENDING_QUEUES } from './dynamo-notarization-store';

const BATCH_GET_LIMIT = 100;
/** Seal updates in flight at once: enough to hide round trips, within the SDK's 50 sockets. */
const SEAL_CONCURRENCY = 32;

/** An unsealed range as an element of the head's string set. */
const encodeRange = (r: SealRange) => `${r.start}:${r.end}:${r.sealedAt}`;
const decodeRange = (text: string): SealRange => {
  const [start = '', end = '', ...at] = text.split(':');
  return { start: Number(start), end: Number(end), sealedAt: at.join(':') };
};

/** Runs `work` on every item, at most `limit` at a time; rejects with the first failure. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** How a log's entries are kept: their item key, and the shard values of their queue. */
export interface LogQueue {
  readonly key: (id: string) => Record<string, string>;
  readonly shards: readonly string[];
}

const NOTARIZATION_QUEUE: LogQueue = { key: notarizationKey, shards: PENDING_QUEUES };

/**
 * The log in DynamoDB as tlog-tiles: a tile per item (`<log>/T/<level>/<index>`,
 * its hashes as one binary attribute), an entry bundle per item
 * (`<log>/E/<index>`) and the head at `<log>/HEAD`. Tiles only grow, and only
 * in the transaction that moves the head, so whatever is stored belongs to a
 * signed checkpoint.
 */
export class DynamoLogStore implements LogStore {
  constructor(
    private readonly logId = 'notary',
    private readonly db = dynamoDocumentClient(),
    private readonly logTableName = resourceName(logTable),
    /** The table whose items queue for this log (`pending`, index byPending) and carry their log index. */
    private readonly notarizationsTableName = resourceName(notarizationsTable),
    private readonly queue: LogQueue = NOTARIZATION_QUEUE,
  ) {}

  private tilePk = (k: TileKey) => `${this.logId}/T/${k.level}/${k.index}`;
  private bundlePk = (index: number) => `${this.logId}/E/${index}`;
  private get headPk() {
    return `${this.logId}/HEAD`;
  }

  async head(): Promise<TreeHead | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.logTableName, Key: { pk: this.headPk }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const unsealed = [...((Item.unsealed as Set<string> | undefined) ?? [])].map(decodeRange);
    return {
      size: Item.size as number,
      rootHash: Item.rootHash as Uint8Array,
      checkpoint: Item.checkpoint as string,
      unsealed: unsealed.sort((a, b) => a.start - b.start),
    };
  }

  async initialize(empty: Omit<TreeHead, 'unsealed'>): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.logTableName,
      Key: { pk: this.headPk },
      UpdateExpression: 'SET #s = :size, rootHash = :root, checkpoint = :cp',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeNames: { '#s': 'size' },
      ExpressionAttributeValues: { ':size': empty.size, ':root': empty.rootHash, ':cp': empty.checkpoint },
    });
  }

  async readTiles(keys: readonly TileKey[]): Promise<Map<string, Uint8Array>> {
    const byPk = new Map(keys.map((k) => [this.tilePk(k), tileKey(k)]));
    const found = new Map<string, Uint8Array>();
    const items = await this.batchGet(
      this.logTableName,
      [...byPk.keys()].map((pk) => ({ pk })),
      'pk, hashes',
    );
    for (const item of items) {
      found.set(byPk.get(item.pk as string) as string, item.hashes as Uint8Array);
    }
    return found;
  }

  async readBundle(index: number): Promise<Uint8Array | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.logTableName,
        Key: { pk: this.bundlePk(index) },
        ConsistentRead: true,
      }),
    );
    return Item?.bundle as Uint8Array | undefined;
  }

  async pending(limit: number): Promise<readonly PendingNotarization[]> {
    // Oldest first within each shard, merged. Each shard gives twice its share (not `limit`: with a
    // deep queue that would read eight times the batch); an uneven shard catches up on the next batch.
    const share = Math.ceil((2 * limit) / this.queue.shards.length);
    const pages = await Promise.all(this.queue.shards.map((queue) => this.queuePage(queue, share)));
    return pages
      .flat()
      .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0))
      .slice(0, limit);
  }

  private async queuePage(queue: string, limit: number): Promise<PendingNotarization[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.db.send(
        new QueryCommand({
          TableName: this.notarizationsTableName,
          IndexName: 'byPending',
          KeyConditionExpression: 'pending = :q',
          ExpressionAttributeValues: { ':q': queue },
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...Items);
      start = LastEvaluatedKey;
    } while (start && items.length < limit);
    return items.map((i) =>
      typeof i.entry === 'string'
        ? { id: i.id as string, receivedAt: i.receivedAt as string, entry: i.entry }
        : {
            id: i.id as string,
            owner: i.owner as string,
            sha256: i.sha256 as string,
            receivedAt: i.receivedAt as string,
            ...(i.timestamp ? { timestamp: { serial: (i.timestamp as { serial: string }).serial } } : {}),
          },
    );
  }

  async quarantine(entries: readonly { id: string; reason: string }[], at: string): Promise<void> {
    await forEachConcurrently(entries, SEAL_CONCURRENCY, async ({ id, reason }) => {
      await updateIf(this.db, {
        TableName: this.notarizationsTableName,
        Key: this.queue.key(id),
        UpdateExpression: 'SET #st = :q, quarantine = :why REMOVE pending',
        // One that made it into the log meanwhile is sealed, whatever its time.
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(logIndex)',
        ExpressionAttributeNames: { '#st': 'status' },
        ExpressionAttributeValues: { ':q': 'quarantined', ':why': { reason, at } },
      });
    });
  }

  async indexed(ids: readonly string[]): Promise<Set<string>> {
    const items = await this.batchGet(this.notarizationsTableName, ids.map(this.queue.key), 'id, logIndex');
    return new Set(items.filter((i) => i.logIndex !== undefined).map((i) => i.id as string));
  }

  async commit(batch: BatchCommit): Promise<'committed' | 'head_moved'> {
    const { head, previousSize } = batch;
    const headUpdate = {
      Update: {
        TableName: this.logTableName,
        Key: { pk: this.headPk },
        UpdateExpression: 'SET #s = :size, rootHash = :root, checkpoint = :cp ADD unsealed :range',
        // From size 0 the head may be the published empty one, or (a log started before that existed) none.
        ConditionExpression:
          previousSize === 0 ? 'attribute_not_exists(pk) OR #s = :previous' : '#s = :previous',
        ExpressionAttributeNames: { '#s': 'size' },
        ExpressionAttributeValues: {
          ':size': head.size,
          ':root': head.rootHash,
          ':cp': head.checkpoint,
          ':previous': previousSize,
          ':range': new Set([encodeRange(batch.range)]),
        },
      },
    };
    const tiles = batch.tiles.map((t) => ({
      Put: { TableName: this.logTableName, Item: { pk: this.tilePk(t), hashes: t.bytes } },
    }));
    const bundles = batch.bundles.map((b) => ({
      Put: { TableName: this.logTableName, Item: { pk: this.bundlePk(b.index), bundle: b.bytes } },
    }));
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: [headUpdate, ...tiles, ...bundles] }));
      return 'committed';
    } catch (err) {
      if (
        err instanceof TransactionCanceledException &&
        err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      )
        return 'head_moved';
      throw err;
    }
  }

  async markSealed(positions: readonly LogPosition[], sealedAt: string): Promise<void> {
    // One conditional update each, many in flight: DynamoDB transactions would cost twice the
    // units and (on DynamoDB Local) contend for locks, for no gain: each update is idempotent.
    await forEachConcurrently(positions, SEAL_CONCURRENCY, (p) => this.markOne(p, sealedAt));
  }

  private sealUpdate({ notarizationId, index }: LogPosition, sealedAt: string) {
    return {
      TableName: this.notarizationsTableName,
      Key: this.queue.key(notarizationId),
      UpdateExpression: 'SET #st = :sealed, logIndex = :i, sealedAt = :at REMOVE pending',
      // A notarization erased meanwhile stays erased; one with another index would be a duplicate.
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(logIndex) OR logIndex = :i)',
      ExpressionAttributeNames: { '#st': 'status' },
      ExpressionAttributeValues: { ':sealed': 'sealed', ':i': index, ':at': sealedAt },
    };
  }

  private async markOne(position: LogPosition, sealedAt: string) {
    if (await updateIf(this.db, this.sealUpdate(position, sealedAt))) return;
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.notarizationsTableName,
        Key: this.queue.key(position.notarizationId),
        ConsistentRead: true,
      }),
    );
    if (Item && Item.logIndex !== position.index)
      throw new Error(
        `notarization ${position.notarizationId} is at log index ${Item.logIndex}, not ${position.index}`,
      );
  }

  async finishSeal(range: SealRange): Promise<void> {
    await updateIf(this.db, {
      TableName: this.logTableName,
      Key: { pk: this.headPk },
      UpdateExpression: 'DELETE unsealed :range',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':range': new Set([encodeRange(range)]) },
    });
  }

  /** Consistent BatchGetItems of `keys` in one table, 100 at a time in parallel, unprocessed keys retried. */
  private async batchGet(
    table: string,
    keys: readonly Record<string, unknown>[],
    projection: string,
  ): Promise<Record<string, unknown>[]> {
    const chunks = Array.from({ length: Math.ceil(keys.length / BATCH_GET_LIMIT) }, (_, i) =>
      keys.slice(i * BATCH_GET_LIMIT, (i + 1) * BATCH_GET_LIMIT),
    );
    const pages = await Promise.all(
      chunks.map(async (chunk) => {
        const items: Record<string, unknown>[] = [];
        let left: Record<string, unknown>[] = chunk;
        while (left.length > 0) {
          const { Responses, UnprocessedKeys } = await this.db.send(
            new BatchGetCommand({
              RequestItems: {
                [table]: { Keys: left, ConsistentRead: true, ProjectionExpression: projection },
              },
            }),
          );
          items.push(...(Responses?.[table] ?? []));
          left = UnprocessedKeys?.[table]?.Keys ?? [];
        }
        return items;
      }),
    );
    return pages.flat();
  }
}
