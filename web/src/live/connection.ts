import { computed, effect, signal } from '@preact/signals';
import {
  LIVE_CLOSE_UNAUTHORIZED,
  type LiveEntry,
  type LiveSubscribe,
  liveServerMessage,
} from '../../../shared/core/live-protocol';
import { accessToken, currentUser, refresh } from '../auth/session';
import { config } from '../config';

export type LiveStatus = 'unavailable' | 'connecting' | 'open' | 'closed';

export interface LiveCheckpoint {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly checkpoint: string;
}

/** How many recent seals the live page keeps. */
const RECENT_LIMIT = 50;
const MAX_BACKOFF_MS = 30_000;

export const liveStatus = signal<LiveStatus>('unavailable');
export const liveCheckpoint = signal<LiveCheckpoint | undefined>(undefined);
export const recentSeals = signal<readonly LiveEntry[]>([]);

type SealedListener = (entries: readonly LiveEntry[]) => void;
type SubscribedListener = () => void;
const sealedListeners = new Set<SealedListener>();
const subscribedListeners = new Set<SubscribedListener>();

/**
 * The log's current checkpoint over HTTP (public), for a page opened before
 * the first push: `<origin>\n<size>\n<base64 root>\n` and the signature lines.
 */
export async function loadCheckpoint(): Promise<void> {
  if (liveCheckpoint.peek()) return;
  const res = await fetch(`${config().apiBase}/v1/log/checkpoint`, { headers: { accept: 'text/plain' } });
  if (!res.ok) return;
  const note = await res.text();
  const [, size, rootHash] = note.split('\n');
  const treeSize = Number(size);
  // A push may have arrived meanwhile; it is newer.
  if (!liveCheckpoint.peek() && Number.isInteger(treeSize) && rootHash)
    liveCheckpoint.value = { treeSize, rootHash, checkpoint: note };
}

/** Entries as they are sealed (and, after a reconnect, those sealed meanwhile). */
export function onSealed(listener: SealedListener): () => void {
  sealedListeners.add(listener);
  return () => sealedListeners.delete(listener);
}

/** Each accepted (re)subscription: what was sealed before it may have been missed; look again. */
export function onSubscribed(listener: SubscribedListener): () => void {
  subscribedListeners.add(listener);
  return () => subscribedListeners.delete(listener);
}

let socket: WebSocket | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let failures = 0;
/** Refusals (4401) since the last accepted subscription: a second one in a row is not cured by a refresh. */
let refusals = 0;

/** The server refuses a subscription until the temporary password is changed (as the REST API does). */
const liveAllowed = computed(() => {
  const user = currentUser.value;
  return user !== undefined && !user.mustChangePassword;
});
/** The tree size seen last: a reconnect asks for everything sealed from there on. */
let seenTreeSize: number | undefined;

function send(ws: WebSocket, token: string) {
  const message: LiveSubscribe = {
    action: 'subscribe',
    token,
    ...(seenTreeSize !== undefined ? { since: seenTreeSize } : {}),
  };
  ws.send(JSON.stringify(message));
}

function handle(data: unknown) {
  if (typeof data !== 'string') return;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return;
  }
  const parsed = liveServerMessage.safeParse(json);
  if (!parsed.success) return;
  const message = parsed.data;
  switch (message.type) {
    case 'subscribed':
      failures = 0;
      refusals = 0;
      liveStatus.value = 'open';
      for (const listener of [...subscribedListeners]) listener();
      break;
    case 'checkpoint':
      liveCheckpoint.value = {
        treeSize: message.treeSize,
        rootHash: message.rootHash,
        checkpoint: message.checkpoint,
      };
      seenTreeSize = Math.max(seenTreeSize ?? 0, message.treeSize);
      break;
    case 'sealed': {
      seenTreeSize = Math.max(seenTreeSize ?? 0, message.treeSize);
      // A catch-up may repeat what was already shown.
      const known = new Set(recentSeals.value.map((entry) => entry.index));
      const newest = message.entries.filter((entry) => !known.has(entry.index)).reverse();
      recentSeals.value = [...newest, ...recentSeals.value].slice(0, RECENT_LIMIT);
      for (const listener of [...sealedListeners]) listener(message.entries);
      break;
    }
    case 'error':
      // invalid_token / token_expired are followed by a 4401 close, handled there.
      break;
  }
}

function scheduleReconnect() {
  clearTimeout(retryTimer);
  // Exponential backoff with jitter, so a restarted server is not met by every browser at once.
  const delay = Math.min(1000 * 2 ** failures, MAX_BACKOFF_MS) * (0.5 + Math.random() / 2);
  failures += 1;
  retryTimer = setTimeout(connect, delay);
}

function connect() {
  const url = config().liveUrl;
  const token = accessToken.peek();
  if (!url || !token || !liveAllowed.peek() || socket) return;
  liveStatus.value = 'connecting';
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    const current = accessToken.peek();
    if (current) send(ws, current);
  };
  ws.onmessage = (event) => handle(event.data);
  ws.onclose = (event) => {
    if (socket !== ws) return;
    socket = undefined;
    if (!accessToken.peek()) {
      liveStatus.value = 'closed';
      return;
    }
    liveStatus.value = 'closed';
    // A refused token: a fresh one (the token effect then reconnects), once; anything else: back off.
    if (event.code === LIVE_CLOSE_UNAUTHORIZED && refusals === 0) {
      refusals += 1;
      void refresh().then((ok) => ok && scheduleReconnect());
    } else scheduleReconnect();
  };
}

function disconnect() {
  clearTimeout(retryTimer);
  const ws = socket;
  socket = undefined;
  ws?.close(1000, 'signed out');
  liveStatus.value = config().liveUrl ? 'closed' : 'unavailable';
}

/**
 * Keeps the live channel open while signed in; every new access token
 * (each refresh) re-subscribes, so the subscription never outlives its token.
 */
export function startLive() {
  return effect(() => {
    const token = accessToken.value;
    const allowed = liveAllowed.value;
    if (!config().liveUrl) {
      liveStatus.value = 'unavailable';
      return;
    }
    if (!token || !allowed) {
      disconnect();
      return;
    }
    if (socket && socket.readyState === WebSocket.OPEN) send(socket, token);
    else connect();
  });
}
