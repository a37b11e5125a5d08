import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { EventFunction } from './event-function';
import { acknowledgeAnchorFailureQueue } from './nag';

export interface AnchorProps {
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** How often the anchor function runs (it anchors only when the log grew and the interval of the settings passed). */
  readonly every: Duration;
}

/**
 * The anchor function (functions/anchor.ts) and its schedule: it time-stamps
 * the log's latest checkpoint with the external RFC 3161 TSAs of the settings
 * (over HTTPS on the internet, so no VPC) and stores their tokens in the
 * Anchors table. A TSA that does not answer is counted in `AnchorFailures`
 * (alarmed, lib/alarms.ts) without failing the run; a run that fails anyway
 * is retried, then recorded in the failure queue, whose depth is alarmed.
 * A lost run loses nothing: the next one anchors the then latest checkpoint,
 * so a run EventBridge could not deliver within 15 minutes is dropped.
 *
 * @example
 * new Anchor(this, 'Anchor', { environment, statements, logRetention, logRemovalPolicy, every: Duration.minutes(5) });
 */
export class Anchor extends EventFunction {
  constructor(scope: Construct, id: string, props: AnchorProps) {
    super(scope, id, {
      ...props,
      name: 'anchor',
      trigger: { schedule: Schedule.rate(props.every) },
      ruleId: 'Schedule',
      description: "Stempel: time-stamp the log's latest checkpoint with the external TSAs",
      maxEventAge: Duration.minutes(15),
      acknowledgeFailureQueue: acknowledgeAnchorFailureQueue,
    });
  }
}
