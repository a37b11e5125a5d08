import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_ATTEMPTS } from '../shared/core/webhooks';
import { ENV } from '../shared/runtime/environment';
import { SIZING, StempelFunction } from './functions';
import {
  acknowledgeStreamFunctionWildcards,
  acknowledgeWebhookDeadLetterQueue,
  acknowledgeWebhookDelivery,
  acknowledgeWebhookDispatchFailureQueue,
  acknowledgeWebhookDispatchInvocation,
} from './nag';

export interface WebhooksProps {
  readonly notarizations: ITable;
  readonly audit: ITable;
  readonly dispatchEnvironment: Readonly<Record<string, string>>;
  readonly deliveryEnvironment: Readonly<Record<string, string>>;
  /** Built once the queue exists: the dispatch function may only send to it, delivery only change visibility. */
  readonly dispatchStatements: (queue: Queue) => readonly PolicyStatement[];
  readonly deliveryStatements: (queue: Queue) => readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * Webhook delivery (docs/webhooks.md): the dispatch function reads the
 * Notarizations and Audit tables' streams (filtered to the changes that are
 * events) and enqueues one job per event and endpoint; the delivery function
 * consumes the queue, signs and sends, and hides a failed job for its
 * backoff; after the last attempt SQS moves it to the dead-letter queue,
 * whose depth is alarmed. Both queues are SQS-encrypted and TLS-only.
 *
 * @example
 * new Webhooks(this, 'Webhooks', { notarizations, audit, dispatchEnvironment, deliveryEnvironment, dispatchStatements, deliveryStatements, logRetention, logRemovalPolicy });
 */
export class Webhooks extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly dispatchFailures: Queue;
  readonly dispatch: StempelFunction;
  readonly delivery: StempelFunction;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    const notarizationsStream = props.notarizations.tableStreamArn;
    const auditStream = props.audit.tableStreamArn;
    if (!notarizationsStream || !auditStream)
      throw new Error('webhooks need the Notarizations and Audit streams');

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeWebhookDeadLetterQueue(this.deadLetters);
    this.queue = new Queue(this, 'Deliveries', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // At least six times the function timeout, as Lambda recommends for SQS event sources.
      visibilityTimeout: Duration.seconds(SIZING['webhook-delivery'].timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_ATTEMPTS },
    });
    this.dispatchFailures = new Queue(this, 'DispatchFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeWebhookDispatchFailureQueue(this.dispatchFailures);

    this.dispatch = new StempelFunction(this, 'Dispatch', {
      name: 'webhook-dispatch',
      environment: { ...props.dispatchEnvironment, [ENV.webhookQueueUrl]: this.queue.queueUrl },
      statements: props.dispatchStatements(this.queue),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    acknowledgeWebhookDispatchInvocation(this.dispatch.fn);
    acknowledgeStreamFunctionWildcards(this.dispatch.role, 'webhook-dispatch');
    const mapping = (mappingId: string, eventSourceArn: string, filters: Record<string, unknown>[]) =>
      new EventSourceMapping(this, mappingId, {
        target: this.dispatch.fn,
        eventSourceArn,
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(12),
        onFailure: new SqsDlq(this.dispatchFailures),
        filters,
      });
    mapping('NotarizationsStream', notarizationsStream, [
      // notarization.created: a queued insert.
      FilterCriteria.filter({
        eventName: FilterRule.isEqual('INSERT'),
        dynamodb: { NewImage: { pending: { S: FilterRule.exists() } } },
      }),
      // notarization.sealed: the integrator's seal.
      FilterCriteria.filter({
        eventName: FilterRule.isEqual('MODIFY'),
        dynamodb: {
          NewImage: { status: { S: FilterRule.isEqual('sealed') }, logIndex: { N: FilterRule.exists() } },
        },
      }),
    ]);
    mapping('AuditStream', auditStream, [
      // user.locked: a failed login whose audit event records the lock.
      FilterCriteria.filter({
        eventName: FilterRule.isEqual('INSERT'),
        dynamodb: {
          NewImage: { action: { S: FilterRule.isEqual('auth.login') }, changes: { M: FilterRule.exists() } },
        },
      }),
    ]);

    this.delivery = new StempelFunction(this, 'Delivery', {
      name: 'webhook-delivery',
      environment: { ...props.deliveryEnvironment, [ENV.webhookQueueUrl]: this.queue.queueUrl },
      statements: props.deliveryStatements(this.queue),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    // Receive, delete, and the backoff's visibility changes, on this queue only.
    this.queue.grantConsumeMessages(this.delivery.role);
    const deliveries = new EventSourceMapping(this, 'DeliveryQueue', {
      target: this.delivery.fn,
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: 10,
    });
    acknowledgeWebhookDelivery(this.delivery.fn, this.delivery.role, deliveries);
  }
}
