import { createHash } from 'node:crypto';
import { decodeCanonicalBase64 } from './base64';
import { openCheckpoint } from './checkpoint';
import { HASH_SIZE, verifyConsistency } from './merkle';
import { type Receipt, ReceiptError } from './receipt';
import { NoteError, parseVerifierKey } from './signed-note';
import { TimeStampError, verifyTimeStampToken } from './tsa-verify';

/** What a verified external anchor proves about a receipt's entry. */
export interface AnchorBound {
  /** The entry existed no later than this (the token's genTime plus its stated accuracy). */
  readonly notAfter: Date;
  readonly genTime: Date;
  /** The configured name of the external TSA, and the subject of its certificate. */
  readonly tsa: string;
  readonly tsaSubject: string;
  /** The tree size of the anchored checkpoint. */
  readonly anchoredSize: number;
}

/**
 * Checks the external anchor of a receipt (one already checked with
 * `verifyReceipt`): the anchored checkpoint is signed by the same log key,
 * contains the entry (its size is above the index), and is a prefix of the
 * receipt's tree (the consistency proof); and an external TSA's token over
 * that checkpoint's SHA-256 verifies under `trusted` roots. Of the tokens that
 * verify, the earliest bound wins. Throws ReceiptError('anchor') otherwise.
 */
export function verifyAnchor(
  receipt: Receipt,
  verifierKey: string,
  trusted: readonly (Uint8Array | string)[],
): AnchorBound {
  const anchor = receipt.anchor;
  if (!anchor) throw new ReceiptError('anchor', 'the receipt has no external anchor');
  const key = parseVerifierKey(verifierKey);
  let anchored: ReturnType<typeof openCheckpoint>;
  let current: ReturnType<typeof openCheckpoint>;
  try {
    anchored = openCheckpoint(anchor.checkpoint, key);
    current = openCheckpoint(receipt.checkpoint, key);
  } catch (err) {
    if (err instanceof NoteError) throw new ReceiptError('anchor', `anchored checkpoint: ${err.message}`);
    throw err;
  }
  if (!(anchored.size > receipt.index && anchored.size <= current.size)) {
    throw new ReceiptError(
      'anchor',
      `the anchored checkpoint (size ${anchored.size}) does not contain entry ${receipt.index} of a tree of ${current.size}`,
    );
  }
  const proof = anchor.consistencyProof.map((h) => decodeCanonicalBase64(h, HASH_SIZE));
  if (proof.some((h) => h === undefined))
    throw new ReceiptError('anchor', 'the consistency proof is not canonical base64');
  const consistent =
    anchored.size === current.size
      ? proof.length === 0 && Buffer.compare(anchored.rootHash, current.rootHash) === 0
      : verifyConsistency(
          anchored.size,
          current.size,
          anchored.rootHash,
          current.rootHash,
          proof as Uint8Array[],
        );
  if (!consistent)
    throw new ReceiptError('anchor', "the anchored checkpoint is not a prefix of the receipt's tree");

  const digest = new Uint8Array(createHash('sha256').update(anchor.checkpoint).digest());
  const bounds: AnchorBound[] = [];
  const refusals: string[] = [];
  for (const { tsa, token } of anchor.timestamps) {
    try {
      const verified = verifyTimeStampToken(new Uint8Array(Buffer.from(token, 'base64')), {
        trusted,
        imprint: { hashAlgorithm: 'SHA-256', hashedMessage: digest },
      });
      bounds.push({
        notAfter: new Date(verified.genTime.getTime() + (verified.accuracyMs ?? 0)),
        genTime: verified.genTime,
        tsa,
        tsaSubject: verified.tsaSubject,
        anchoredSize: anchored.size,
      });
    } catch (err) {
      if (!(err instanceof TimeStampError)) throw err;
      refusals.push(`${tsa}: ${err.message}`);
    }
  }
  const earliest = bounds.sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  if (!earliest)
    throw new ReceiptError(
      'anchor',
      `no external token over the anchored checkpoint verifies: ${refusals.join('; ') || 'there are none'}`,
    );
  return earliest;
}
