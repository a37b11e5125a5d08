import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT_EXPORT_PREFIXES } from './data';
import { StempelFunction } from './functions';
import {
  acknowledgeAuditExportFailureQueue,
  acknowledgeAuditExportInvocation,
  acknowledgeAuditExportObjects,
  acknowledgeStreamFunctionWildcards,
} from './nag';

export interface AuditExportProps {
  /** The Audit table, whose stream brings the sealed events. */
  readonly audit: ITable;
  /** The write-once export bucket (for the acknowledgement of its two prefixes in the role). */
  readonly bucket: IBucket;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The audit export (functions/audit-export.ts) and what runs it: the Audit
 * table's stream, filtered to sealed events (an insert or update whose new
 * image has `logIndex`), in batches of up to 100. Each event becomes one
 * object under `events/date=<day>/<log index>.json` of the write-once bucket,
 * after the checkpoint it is proven against under `checkpoints/` (docs/audit.md
 * "The export"); object keys are functions of the event, so a retried batch
 * writes the same objects again. A failing batch is bisected until the bad
 * record stands alone, retried, and then recorded in the failure queue, whose
 * depth is alarmed: the event itself stays in the Audit table, and touching it
 * again (any update of a sealed item) exports it again.
 *
 * @example
 * new AuditExport(this, 'AuditExport', { audit, bucket, environment, statements, logRetention, logRemovalPolicy });
 */
export class AuditExport extends Construct {
  readonly function: StempelFunction;
  readonly failures: Queue;
  readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: AuditExportProps) {
    super(scope, id);
    const stream = props.audit.tableStreamArn;
    if (!stream) throw new Error('the audit export needs the Audit table stream');

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeAuditExportFailureQueue(this.failures);

    this.function = new StempelFunction(this, 'Function', {
      name: 'audit-export',
      environment: props.environment,
      statements: props.statements,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    const { fn, role } = this.function;
    acknowledgeAuditExportInvocation(fn);
    acknowledgeStreamFunctionWildcards(role, 'audit-export');
    acknowledgeAuditExportObjects(role, props.bucket, Object.values(AUDIT_EXPORT_PREFIXES));

    this.mapping = new EventSourceMapping(this, 'Stream', {
      target: fn,
      eventSourceArn: stream,
      // From the oldest record the stream still holds: a first deployment exports the last 24 hours too.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(5),
      bisectBatchOnError: true,
      retryAttempts: 5,
      // Within the stream's 24 hours, so what still fails reaches the failure queue while it can be replayed.
      maxRecordAge: Duration.hours(12),
      onFailure: new SqsDlq(this.failures),
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { NewImage: { logIndex: { N: FilterRule.exists() } } },
        }),
      ],
    });
  }
}
