import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { StempelFunction } from './functions';
import {
  acknowledgeDocumentObjects,
  acknowledgeStreamFunctionWildcards,
  acknowledgeVerifierFailureQueue,
  acknowledgeVerifierInvocation,
} from './nag';
import { DOCUMENT_PREFIX } from './permissions';

export interface VerifierProps {
  /** The Files table, whose stream hands uploads over. */
  readonly files: ITable;
  /** The documents bucket (for the acknowledgement of its `owners/*` objects in the role). */
  readonly documents: IBucket;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The upload state in which the notarizations function hands an upload over to the verifier. */
export const HANDED_OVER_STATE = 'hashing';

/**
 * The verifier (functions/verifier.ts) and what runs it. Hashing a multipart
 * upload does not fit API Gateway's 29 s, so `POST /v1/notarizations` only
 * marks the upload `state = hashing` in the Files table and answers 202; the
 * table's stream runs the verifier, which hashes the object with ranged GETs
 * and notarizes or rejects it. Retried batches are bisected, so one bad
 * upload cannot hold back the others; what still fails is recorded in a
 * failure queue for operators, and the upload stays `hashing` until its
 * owner's next request claims it again.
 *
 * @example
 * new Verifier(this, 'Verifier', { files, documents, environment, statements, logRetention, logRemovalPolicy });
 */
export class Verifier extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: VerifierProps) {
    super(scope, id);
    const stream = props.files.tableStreamArn;
    if (!stream) throw new Error('the verifier needs the Files table stream');

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeVerifierFailureQueue(this.failures);

    this.function = new StempelFunction(this, 'Function', {
      name: 'verifier',
      environment: props.environment,
      statements: props.statements,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    const { fn, role } = this.function;
    acknowledgeVerifierInvocation(fn);
    acknowledgeStreamFunctionWildcards(role, 'verifier');
    acknowledgeDocumentObjects(role, props.documents, DOCUMENT_PREFIX);

    // Only uploads handed over for hashing: written (or changed) with state = hashing. Every other
    // write to the Files table (new uploads, outcomes, owner keys) never invokes the function.
    new EventSourceMapping(this, 'Stream', {
      target: fn,
      eventSourceArn: stream,
      startingPosition: StartingPosition.LATEST,
      // One upload per invocation: a 5 GiB object takes about a minute, so no batch outlives the
      // timeout or the verification lease. Shards still run in parallel.
      batchSize: 1,
      retryAttempts: 2,
      maxRecordAge: Duration.hours(1),
      onFailure: new SqsDlq(this.failures),
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { NewImage: { state: { S: FilterRule.isEqual(HANDED_OVER_STATE) } } },
        }),
      ],
    });
  }
}
