import type { LiveConnectionStore, LiveSender, LiveSubscription, LogRange } from '../ports/live';
import type { LogStore, TreeHead } from '../ports/log-store';
import type { Authorizer } from './authorizer';
import {
  LIVE_CATCH_UP_LIMIT,
  LIVE_CLOSE_UNAUTHORIZED,
  type LiveEntry,
  type LiveServerMessage,
  liveSubscribe,
} from './live-protocol';
import { mapLimit } from './map-limit';
import { parseEntryBundle, TILE_WIDTH } from './tiles';

export interface LiveChannelDeps {
  /** The REST API's authorizer: the same token checks, and a revoked session is refused alike. */
  readonly authorizer: Pick<Authorizer, 'authorize'>;
  readonly log: Pick<LogStore, 'head' | 'readBundle'>;
  readonly connections: LiveConnectionStore;
  readonly sender: LiveSender;
  readonly now?: () => Date;
  /** Connections pushed to at once. */
  readonly concurrency?: number;
}

/** What one announcement did, for metrics. */
export interface AnnounceResult {
  readonly delivered: number;
  /** Connections that were gone (removed). */
  readonly gone: number;
  /** Connections whose token had expired (told, closed and removed). */
  readonly expired: number;
  /** Connections a frame could not be sent to for another reason (kept: the next push tries again). */
  readonly failed: number;
}

const DEFAULT_CONCURRENCY = 16;
const decoder = new TextDecoder();

type Frame<T extends LiveServerMessage['type']> = Extract<LiveServerMessage, { type: T }>;

const checkpointFrame = (head: TreeHead): Frame<'checkpoint'> => ({
  type: 'checkpoint',
  treeSize: head.size,
  rootHash: Buffer.from(head.rootHash).toString('base64'),
  checkpoint: head.checkpoint,
});

/** A sealed frame; its treeSize is the size these entries bring the log to, so a client resumes from it. */
const sealedFrame = (entries: readonly LiveEntry[], treeSize: number): Frame<'sealed'> => ({
  type: 'sealed',
  treeSize,
  entries: [...entries],
});

/** The public fields of a log leaf (docs/architecture.md): never its owner. */
function liveEntry(index: number, bytes: Uint8Array): LiveEntry {
  const leaf = JSON.parse(decoder.decode(bytes)) as {
    id: string;
    sha256: string;
    receivedAt: string;
    type?: string;
  };
  return {
    index,
    id: leaf.id,
    sha256: leaf.sha256,
    receivedAt: leaf.receivedAt,
    kind: leaf.type === 'timestamp' ? 'timestamp' : 'notarization',
  };
}

/**
 * The live log channel (docs/live.md), behind any transport: subscribe frames
 * are authenticated with the access token they carry, answered with the
 * current checkpoint and a catch-up of recent entries, and every range the
 * integrator seals is pushed to each subscribed connection until its token
 * expires. What it sends is what the public log shows (checkpoints, leaves
 * without their owner).
 */
export class LiveChannel {
  private readonly now: () => Date;
  private readonly concurrency: number;

  constructor(private readonly deps: LiveChannelDeps) {
    this.now = deps.now ?? (() => new Date());
    this.concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  }

  /** A frame from a client: a subscribe is answered in full; anything else gets `invalid_message`. */
  async receive(connectionId: string, body: string | undefined): Promise<void> {
    const frame = liveSubscribe.safeParse(parseJson(body));
    if (!frame.success) {
      await this.deps.sender.send(connectionId, {
        type: 'error',
        code: 'invalid_message',
        detail: 'Expected {"action":"subscribe","token":"<access token>","since"?:<tree size>}.',
      });
      return;
    }
    const principal = await this.deps.authorizer.authorize(`Bearer ${frame.data.token}`);
    if (!principal || principal.mustChangePassword) {
      const detail = principal
        ? 'Change your password before subscribing.'
        : 'The access token is missing, invalid, expired or revoked.';
      return this.refuse(connectionId, 'invalid_token', detail);
    }
    // jose accepts a token a few seconds past `exp` (clock skew); the channel does not push past it.
    if (principal.tokenExpiresAt <= this.nowSeconds())
      return this.refuse(connectionId, 'token_expired', 'The access token has expired.');

    // Registered before the head is read: whatever is sealed after that read is pushed to it.
    await this.deps.connections.save({ connectionId, expiresAt: principal.tokenExpiresAt });
    const head = await this.deps.log.head();
    const size = head?.size ?? 0;
    const from = Math.max(Math.min(frame.data.since ?? 0, size), size - LIVE_CATCH_UP_LIMIT);
    const frames: LiveServerMessage[] = [
      { type: 'subscribed', expiresAt: principal.tokenExpiresAt },
      ...(head ? [checkpointFrame(head)] : []),
      sealedFrame(await this.entries(from, size), size),
    ];
    await this.sendAll(connectionId, frames);
  }

  async disconnected(connectionId: string): Promise<void> {
    await this.deps.connections.remove(connectionId);
  }

  /**
   * Pushes what a checkpoint added, entries [start, end), to every
   * subscription: the newest checkpoint, then the entries in sealed frames of
   * at most LIVE_CATCH_UP_LIMIT each. Expired subscriptions are told and
   * closed instead; gone connections are forgotten.
   */
  async announce(range: LogRange): Promise<AnnounceResult> {
    const counts = { delivered: 0, gone: 0, expired: 0, failed: 0 };
    const nowS = this.nowSeconds();
    // Read the log only when someone listens: most seals have no subscriber at all.
    let frames: Promise<LiveServerMessage[]> | undefined;
    for await (const page of this.deps.connections.pages()) {
      if (page.length === 0) continue;
      frames ??= this.framesFor(range);
      const ready = await frames;
      const outcomes = await mapLimit(page, this.concurrency, (s) =>
        this.pushTo(s, ready, nowS).catch(() => 'failed' as const),
      );
      for (const outcome of outcomes) counts[outcome]++;
    }
    return counts;
  }

  /** The newest checkpoint, then the range's entries in sealed frames of at most LIVE_CATCH_UP_LIMIT. */
  private async framesFor(range: LogRange): Promise<LiveServerMessage[]> {
    const head = await this.deps.log.head();
    if (!head || head.size < range.end || range.start < 0 || range.start >= range.end)
      throw new Error(`range [${range.start}, ${range.end}) is not in the log`);
    const entries = await this.entries(range.start, range.end);
    const frames: LiveServerMessage[] = [checkpointFrame(head)];
    for (let i = 0; i < entries.length; i += LIVE_CATCH_UP_LIMIT) {
      const chunk = entries.slice(i, i + LIVE_CATCH_UP_LIMIT);
      frames.push(sealedFrame(chunk, (chunk.at(-1)?.index ?? range.start) + 1));
    }
    return frames;
  }

  private async pushTo(subscription: LiveSubscription, frames: readonly LiveServerMessage[], nowS: number) {
    const { connectionId } = subscription;
    if (subscription.expiresAt <= nowS) {
      await this.refuse(connectionId, 'token_expired', 'The access token has expired: subscribe again.');
      return 'expired' as const;
    }
    return (await this.sendAll(connectionId, frames)) ? ('delivered' as const) : ('gone' as const);
  }

  /** Sends the frames in order; false (and the subscription forgotten) if the connection is gone. */
  private async sendAll(connectionId: string, frames: readonly LiveServerMessage[]): Promise<boolean> {
    for (const frame of frames) {
      if ((await this.deps.sender.send(connectionId, frame)) === 'gone') {
        await this.deps.connections.remove(connectionId);
        return false;
      }
    }
    return true;
  }

  /** An error frame, the close (4401) and the subscription forgotten. */
  private async refuse(connectionId: string, code: 'invalid_token' | 'token_expired', detail: string) {
    await this.deps.connections.remove(connectionId);
    const sent = await this.deps.sender.send(connectionId, { type: 'error', code, detail });
    if (sent === 'sent') await this.deps.sender.close(connectionId, LIVE_CLOSE_UNAUTHORIZED, code);
  }

  /** Log entries [start, end) from their entry bundles. */
  private async entries(start: number, end: number): Promise<LiveEntry[]> {
    if (start >= end) return [];
    const first = Math.floor(start / TILE_WIDTH);
    const last = Math.floor((end - 1) / TILE_WIDTH);
    const bundles = await Promise.all(
      Array.from({ length: last - first + 1 }, (_, i) => this.deps.log.readBundle(first + i)),
    );
    const entries: LiveEntry[] = [];
    bundles.forEach((bundle, i) => {
      const base = (first + i) * TILE_WIDTH;
      const leaves = bundle ? parseEntryBundle(bundle) : [];
      for (let index = Math.max(start, base); index < Math.min(end, base + TILE_WIDTH); index++) {
        const leaf = leaves[index - base];
        if (!leaf) throw new Error(`log entry ${index} is missing`);
        entries.push(liveEntry(index, leaf));
      }
    });
    return entries;
  }

  private nowSeconds() {
    return Math.floor(this.now().getTime() / 1000);
  }
}

function parseJson(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
}
