import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../http/observability';
import { type LambdaHandler, lambdaContext } from './lambda-context';

/**
 * Runs a scheduled function every `everyMs` in process, as an EventBridge
 * rule does in AWS: one run at a time, a failure logged and the next run
 * taken as usual.
 */
export function startSchedule(
  functionName: string,
  handler: LambdaHandler<ScheduledEvent, void>,
  everyMs: number,
): { stop: () => Promise<void> } {
  let running: Promise<void> | undefined;
  const event = (): ScheduledEvent => ({
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${functionName}`],
    detail: {},
  });
  const timer = setInterval(() => {
    if (running) return;
    running = handler(event(), lambdaContext(functionName, 60_000))
      .catch((err) => logger.error(`${functionName} failed`, err as Error))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
