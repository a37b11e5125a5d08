import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { type LambdaHandler, lambdaContext } from './lambda-context';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from './local-clients';

/** How often a failing batch is delivered before it is given up (Lambda's retries, then its failure queue). */
const FAILED_BATCH_ATTEMPTS = 10;

export interface StreamTriggerOptions {
  readonly endpoint: string;
  readonly tableName: string;
  readonly handler: LambdaHandler<DynamoDBStreamEvent, void>;
  /** How often the stream is polled. */
  readonly pollMs?: number;
  /** How often the handler runs without a record, like the scheduled safety net in AWS. */
  readonly sweepMs?: number;
  /** The Lambda function this plays, for its context and logs. */
  readonly functionName?: string;
  /** The most records one invocation gets (the event source mapping's batch size in AWS). */
  readonly batchSize?: number;
}

/**
 * Plays Lambda's DynamoDB stream event source mapping locally: polls the
 * table's stream on DynamoDB Local and invokes the handler with new records,
 * one invocation at a time (as reserved concurrency 1 does in AWS), plus a
 * periodic invocation without records. A batch whose invocation fails is
 * delivered again, as Lambda does, before the shard moves on.
 */
export async function startStreamTrigger(options: StreamTriggerOptions) {
  const {
    endpoint,
    tableName,
    handler,
    pollMs = 100,
    sweepMs = 5000,
    functionName = 'stempel-integrator',
    batchSize = 100,
  } = options;
  const { Table } = await localDynamoClient(endpoint).send(
    new DescribeTableCommand({ TableName: tableName }),
  );
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  const streams = new DynamoDBStreamsClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const iterators = new Map<string, string | undefined>();
  const lastSequence = new Map<string, string>();

  /** From the start of a new shard, or right after the last record read when an iterator went stale. */
  const iteratorFor = async (shardId: string) => {
    const after = lastSequence.get(shardId);
    const position = after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: after }
      : { ShardIteratorType: 'TRIM_HORIZON' as const };
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...position }),
    );
    return ShardIterator;
  };

  const discoverShards = async () => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      iterators.set(shard.ShardId, await iteratorFor(shard.ShardId));
    }
  };

  const readShard = async (shardId: string, iterator: string): Promise<_Record[]> => {
    try {
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator }),
      );
      const last = Records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) lastSequence.set(shardId, last);
      iterators.set(shardId, NextShardIterator);
      return Records;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw err;
      iterators.set(shardId, await iteratorFor(shardId));
      return [];
    }
  };

  const invoke = async (records: _Record[]) => {
    const event = {
      Records: records.map((r) => ({
        ...r,
        eventSource: 'aws:dynamodb',
        eventSourceARN: streamArn,
        awsRegion: LOCAL_REGION,
      })),
    } as unknown as DynamoDBStreamEvent;
    // As Lambda does: a failed batch is delivered again (the shard waits), a few times with backoff;
    // what still fails goes where the failure queue would take it in AWS (here: the log).
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event, lambdaContext(functionName, 60_000));
        return;
      } catch (err) {
        if (records.length === 0 || attempt >= FAILED_BATCH_ATTEMPTS) {
          console.error(`${functionName} failed on a stream batch`, err);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  };

  // What is pending from before this start is drained by the first invocation.
  await discoverShards();
  await invoke([]);

  let stopped = false;
  let lastSweep = Date.now();
  let lastDiscovery = Date.now();
  const loop = (async () => {
    while (!stopped) {
      const records: _Record[] = [];
      try {
        if (Date.now() - lastDiscovery > 1000) {
          await discoverShards();
          lastDiscovery = Date.now();
        }
        for (const [shardId, iterator] of iterators) {
          if (iterator) records.push(...(await readShard(shardId, iterator)));
        }
      } catch (err) {
        if (!stopped) console.error('stream polling failed; retrying', err);
      }
      if (stopped) break;
      if (records.length > 0 || Date.now() - lastSweep > sweepMs) {
        lastSweep = Date.now();
        // In batches of at most batchSize records, as the event source mapping hands them over.
        if (records.length === 0) await invoke([]);
        for (let i = 0; i < records.length && !stopped; i += batchSize)
          await invoke(records.slice(i, i + batchSize));
      } else {
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
