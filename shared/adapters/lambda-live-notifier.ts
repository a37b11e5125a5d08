import { InvocationType, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { LiveNotifier, LogRange } from '../ports/live';

const encoder = new TextEncoder();

/**
 * Hands a sealed range to the live-push function as an asynchronous
 * invocation: Lambda queues it and answers at once, so the integrator never
 * waits for the fan-out to the connections.
 */
export class LambdaLiveNotifier implements LiveNotifier {
  constructor(
    private readonly functionName: string,
    private readonly lambda = new LambdaClient({}),
  ) {}

  async logGrew(range: LogRange): Promise<void> {
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: InvocationType.Event,
        Payload: encoder.encode(JSON.stringify({ start: range.start, end: range.end })),
      }),
    );
  }
}
