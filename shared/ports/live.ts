import type { LiveServerMessage } from '../core/live-protocol';

/** One subscribed connection of the live channel: pushes stop once its access token expires. */
export interface LiveSubscription {
  readonly connectionId: string;
  /** The subscribing access token's `exp` (seconds since the epoch). */
  readonly expiresAt: number;
}

/** Which connections are subscribed, until when (DynamoDB, with TTL on `expiresAt`). */
export interface LiveConnectionStore {
  /** Records (or extends, on a re-subscribe with a fresh token) a subscription. */
  save(subscription: LiveSubscription): Promise<void>;
  remove(connectionId: string): Promise<void>;
  /** Every subscription, page by page (expired ones included: they are told and closed). */
  pages(): AsyncIterable<readonly LiveSubscription[]>;
}

/** How frames reach a connection (API Gateway's @connections in AWS, the socket itself locally). */
export interface LiveSender {
  /** `gone`: the connection no longer exists (API Gateway's 410). */
  send(connectionId: string, message: LiveServerMessage): Promise<'sent' | 'gone'>;
  /** Ends a connection; `code` is the WebSocket close code where the transport can set one. */
  close(connectionId: string, code: number, reason: string): Promise<void>;
}

/** Entries [start, end) of the log: a range a checkpoint added. */
export interface LogRange {
  readonly start: number;
  readonly end: number;
}

/** Tells the live channel that the log grew; fire and forget (an asynchronous Lambda invocation in AWS). */
export interface LiveNotifier {
  logGrew(range: LogRange): Promise<void>;
}
