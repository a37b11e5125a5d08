import { LambdaLiveNotifier } from '../adapters/lambda-live-notifier';
import { logger } from '../http/logger';
import type { LiveNotifier, LogRange } from '../ports/live';
import { ENV } from './environment';
import { once } from './once';

/** How the integrator reaches the live channel (docs/live.md): live-push in AWS, in process locally. */

let localNotifier: LiveNotifier | undefined;

/** The local runtime's in-process live-push, in place of the asynchronous Lambda invocation. */
export function useLocalLiveNotifier(notifier: LiveNotifier): void {
  localNotifier = notifier;
}

const liveNotifier = /* @__PURE__ */ once((): LiveNotifier | undefined => {
  const functionName = process.env[ENV.livePushFunction];
  return functionName ? new LambdaLiveNotifier(functionName) : localNotifier;
});

/**
 * The integrator's `onSealed`: hands the range to live-push. A failure is
 * logged and dropped: the seal stands, and browsers catch up with `since`
 * when they reconnect. Without a live channel (tests, tools) it does nothing.
 */
export async function announceSealed(range: LogRange): Promise<void> {
  try {
    await liveNotifier()?.logGrew(range);
  } catch (err) {
    logger.warn('could not hand a sealed range to live-push', { range, error: err as Error });
  }
}
