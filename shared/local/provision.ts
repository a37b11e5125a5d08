import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type BucketDefinition,
  DOCUMENT_CORS_HEADERS,
  DOCUMENT_CORS_MAX_AGE_SECONDS,
  documentsBucket,
  type TableDefinition,
} from '../tables';

/** The physical name of a table or bucket in the local runtime. */
export const localName = (def: { id: string }) => `stempel-local-${def.id.toLowerCase()}`;

/** Creates a table from its shared definition, unless it exists already. */
export async function createTable(
  client: DynamoDBClient,
  def: TableDefinition,
  TableName = localName(def),
): Promise<void> {
  const keyNames = new Set([
    def.partitionKey,
    def.sortKey,
    ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  const keySchema = (pk: string, sk?: string) => [
    { AttributeName: pk, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' as const }] : []),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...keyNames]
          .filter((n): n is string => Boolean(n))
          .map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
        KeySchema: keySchema(def.partitionKey, def.sortKey),
        ...(def.indexes.length > 0
          ? {
              GlobalSecondaryIndexes: def.indexes.map((i) => ({
                IndexName: i.indexName,
                KeySchema: keySchema(i.partitionKey, i.sortKey),
                Projection: i.include
                  ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...i.include] }
                  : { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
        ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } } : {}),
      }),
    );
  } catch (err) {
    if (err instanceof ResourceInUseException) return;
    throw err;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName });
  if (def.ttlAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: def.ttlAttribute },
      }),
    );
  }
}

export async function createBucket(client: S3Client, def: BucketDefinition): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: localName(def) }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
    throw err;
  }
}

/** Lets the console at `origin` upload to and download from the documents bucket (the stack's CORS rule). */
export async function allowDocumentsFrom(client: S3Client, origin: string): Promise<void> {
  await client.send(
    new PutBucketCorsCommand({
      Bucket: localName(documentsBucket),
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: [origin],
            AllowedMethods: ['PUT', 'GET', 'HEAD'],
            AllowedHeaders: [...DOCUMENT_CORS_HEADERS],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: DOCUMENT_CORS_MAX_AGE_SECONDS,
          },
        ],
      },
    }),
  );
}
