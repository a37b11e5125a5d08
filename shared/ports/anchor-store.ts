/** One external TSA's token over an anchored checkpoint. */
export interface AnchorToken {
  /** The TSA's configured name. */
  readonly tsa: string;
  /** DER TimeStampToken whose message imprint is the SHA-256 of the checkpoint note. */
  readonly token: Uint8Array;
  /** The token's genTime, RFC 3339 (what it proves: the checkpoint existed no later than this). */
  readonly genTime: string;
}

/** A checkpoint of the log with the external time-stamp tokens over it. */
export interface Anchor {
  readonly size: number;
  /** The signed checkpoint note, exactly as time-stamped. */
  readonly checkpoint: string;
  /** When the first token was stored (RFC 3339): the anchoring schedule counts from it. */
  readonly anchoredAt: string;
  readonly tokens: readonly AnchorToken[];
}

export interface AnchorStore {
  /** The anchor of the largest tree size, if any. */
  latest(): Promise<Anchor | undefined>;
  /** The anchor of the smallest tree size above `index` that has a token: the earliest covering that entry. */
  firstCovering(index: number): Promise<Anchor | undefined>;
  /** Adds a TSA's token to the anchor of `checkpoint` (created with it); a token of that TSA already there is kept. */
  addToken(anchor: { size: number; checkpoint: string; at: string }, token: AnchorToken): Promise<void>;
}
