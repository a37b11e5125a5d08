/** Types of tlog-tiles-client.mjs, an independent C2SP tlog-tiles auditor (see that file). */

export interface VerifierKey {
  readonly name: string;
  /** The uint32 key ID: the first four bytes (big-endian) of the key hash. */
  readonly keyId: number;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Extension lines, if any (opaque). */
  readonly extensions: string[];
}

export interface AuditResult {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Entries whose leaf hash was checked: the tree size with `full`, else 0. */
  readonly entries: number;
}

export type FetchLike = (url: string) => Promise<Response>;

/**
 * Verifies the checkpoint at `<prefix>checkpoint` with `verifierKey` (whose name
 * must be the origin), recomputes its root from the tiles and, with `full`,
 * checks every tile and entry bundle too. Rejects with an Error saying what failed.
 */
export function auditLog(options: {
  prefix: string;
  verifierKey: string;
  fetch?: FetchLike;
  full?: boolean;
}): Promise<AuditResult>;

/** Parses `<name>+<8 hex key ID>+<base64(0x01 ‖ Ed25519 public key)>`; throws if malformed. */
export function parseVerifierKey(text: string): VerifierKey;

/** Returns the note text (with its final newline) if `key` signed it; throws otherwise. */
export function openNote(note: string, key: string | VerifierKey): string;

/** Parses checkpoint note text (origin, size, root hash, extension lines); throws if malformed. */
export function parseCheckpoint(text: string): Checkpoint;

/** `<N>` of a tile path, e.g. 1234067 → `x001/x234/067`. */
export function tileIndexPath(index: number): string;

/** `tile/<L>/<N>[.p/<W>]` */
export function tilePath(level: number, index: number, width: number): string;

/** `tile/entries/<N>[.p/<W>]` */
export function entriesPath(index: number, width: number): string;
