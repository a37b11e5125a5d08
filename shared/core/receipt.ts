import canonicalize from 'canonicalize';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { decodeCanonicalBase64 } from './base64';
import { openCheckpoint } from './checkpoint';
import type { LogEntry } from './log-entry';
import { HASH_SIZE, hashLeaf, verifyInclusion } from './merkle';
import { NoteError, parseVerifierKey } from './signed-note';

// zod/mini's only built-in message is "Invalid input"; a malformed receipt is
// explained with classic zod's English messages. Like classic zod, install them
// unless a locale is already configured.
if (!z.config().localeError) z.config(en());

const base64Hash = z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'a base64 SHA-256 hash'));

/**
 * A receipt: everything needed, with the document and the log's verifier key,
 * to check a notarization offline.
 */
export const receiptSchema = z.object({
  v: z.literal(1),
  entry: z.string().check(z.minLength(2)),
  index: z.number().check(z.int(), z.minimum(0)),
  treeSize: z.number().check(z.int(), z.minimum(1)),
  inclusionProof: z.array(base64Hash),
  checkpoint: z.string().check(z.minLength(1)),
  /** The earliest external time anchor covering the entry, once there is one (README, "External anchors"). */
  anchor: z.optional(
    z.object({
      /** A signed checkpoint of the same log, of a tree size above the entry's index and at most `treeSize`. */
      checkpoint: z.string().check(z.minLength(1)),
      /** RFC 9162 consistency proof from that checkpoint's tree to the receipt's. */
      consistencyProof: z.array(base64Hash),
      /** DER TimeStampTokens (base64) of external TSAs over the SHA-256 of `checkpoint`. */
      timestamps: z.array(z.object({ tsa: z.string(), token: z.string().check(z.minLength(1)) })),
    }),
  ),
});

export type Receipt = z.infer<typeof receiptSchema>;
export type ReceiptAnchor = NonNullable<Receipt['anchor']>;

const notarizationFields = {
  v: z.literal(1),
  id: z.string().check(z.minLength(1)),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  receivedAt: z.iso.datetime(),
  owner: z.string().check(z.minLength(1)),
};

/**
 * Exactly the fields of a v1 notarization entry, or of a v1 timestamp entry
 * (an RFC 3161 token: `sha256` is the token's): anything else was not written
 * by Stempel.
 */
const entrySchema = z.union([
  z.strictObject(notarizationFields),
  z.strictObject({
    ...notarizationFields,
    type: z.literal('timestamp'),
    serial: z.string().check(z.regex(/^[1-9a-f][0-9a-f]{0,39}$/, 'a serial number in lower-case hex')),
  }),
]);

/** Which check failed, so a verifier can say exactly why a receipt is refused. */
export type ReceiptFailure = 'malformed_receipt' | 'document_mismatch' | 'signature' | 'inclusion' | 'anchor';

export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
  constructor(
    readonly failure: ReceiptFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedReceipt {
  readonly entry: LogEntry;
  readonly index: number;
  readonly treeSize: number;
  readonly origin: string;
}

/**
 * Verifies a receipt for a document hash against a pinned verifier key:
 * the entry names this document, the checkpoint is signed by the key, and the
 * entry is included in the tree the checkpoint commits to.
 */
export function verifyReceipt(
  documentSha256: string,
  receiptJson: unknown,
  verifierKey: string,
): VerifiedReceipt {
  const parsed = receiptSchema.safeParse(receiptJson);
  if (!parsed.success)
    throw new ReceiptError(
      'malformed_receipt',
      `the receipt is malformed: ${parsed.error.issues[0]?.message}`,
    );
  const receipt = parsed.data;
  let entryJson: unknown;
  try {
    entryJson = JSON.parse(receipt.entry);
  } catch {
    throw new ReceiptError('malformed_receipt', 'the receipt entry is not JSON');
  }
  // The leaf is exactly the RFC 8785 form: no duplicate keys, no other spelling of the same entry.
  if (canonicalize(entryJson) !== receipt.entry)
    throw new ReceiptError('malformed_receipt', 'the receipt entry is not RFC 8785 canonical JSON');
  const entry = entrySchema.safeParse(entryJson);
  if (!entry.success)
    throw new ReceiptError('malformed_receipt', 'the receipt entry is not a Stempel log entry');
  if (entry.data.sha256 !== documentSha256.toLowerCase()) {
    throw new ReceiptError(
      'document_mismatch',
      `the document's SHA-256 ${documentSha256} is not the one notarized (${entry.data.sha256})`,
    );
  }
  const { origin } = verifyInclusionProof(receipt, verifierKey);
  return { entry: entry.data as LogEntry, index: receipt.index, treeSize: receipt.treeSize, origin };
}

/**
 * The log part of a receipt, whatever its entry: the checkpoint is signed by
 * the key and `entry` is at `index` in the tree it commits to. (Audit log
 * receipts are checked with this alone; their entries are audit events.)
 */
export function verifyInclusionProof(receipt: Receipt, verifierKey: string): { readonly origin: string } {
  let checkpoint: ReturnType<typeof openCheckpoint>;
  try {
    checkpoint = openCheckpoint(receipt.checkpoint, parseVerifierKey(verifierKey));
  } catch (err) {
    if (err instanceof NoteError) throw new ReceiptError('signature', `checkpoint signature: ${err.message}`);
    throw err;
  }
  if (checkpoint.size !== receipt.treeSize) {
    throw new ReceiptError(
      'inclusion',
      `the receipt's tree size ${receipt.treeSize} is not the checkpoint's ${checkpoint.size}`,
    );
  }
  // Only canonical base64: otherwise the unused bits of the last character make one proof many receipts.
  const proof = receipt.inclusionProof.map((h) => decodeCanonicalBase64(h, HASH_SIZE));
  if (proof.some((h) => h === undefined)) {
    throw new ReceiptError('malformed_receipt', 'the inclusion proof is not canonical base64');
  }
  const leaf = hashLeaf(new TextEncoder().encode(receipt.entry));
  if (!verifyInclusion(receipt.index, receipt.treeSize, leaf, proof as Uint8Array[], checkpoint.rootHash)) {
    throw new ReceiptError('inclusion', 'the inclusion proof does not lead to the signed root hash');
  }
  return { origin: checkpoint.origin };
}
