import './buffer-global';
import { ReceiptError, type ReceiptFailure, verifyReceipt } from '../../../shared/core/receipt';
import { NoteError, parseVerifierKey } from '../../../shared/core/signed-note';

/** Which part of a verification failed: the receipt's own failures, or the pinned key itself. */
export type FailedPart = ReceiptFailure | 'key';

export type Verdict =
  | {
      readonly ok: true;
      readonly index: number;
      readonly treeSize: number;
      readonly origin: string;
      readonly receivedAt: string;
    }
  | { readonly ok: false; readonly part: FailedPart; readonly detail: string };

/** Checks a verifier key's form and hash; the reason when it is not one. */
export function keyProblem(key: string): string | undefined {
  try {
    parseVerifierKey(key);
    return undefined;
  } catch (err) {
    if (err instanceof NoteError) return err.message;
    throw err;
  }
}

/**
 * The CLI's check (shared/core/receipt.ts, the same code): the receipt names
 * this document, its checkpoint is signed by the pinned key, and the entry is
 * included in that tree. Nothing from the server is trusted but what this proves.
 */
export function checkReceipt(documentSha256: string, receiptText: string, key: string): Verdict {
  const problem = keyProblem(key);
  if (problem) return { ok: false, part: 'key', detail: problem };
  let receipt: unknown;
  try {
    receipt = JSON.parse(receiptText);
  } catch {
    return { ok: false, part: 'malformed_receipt', detail: 'the receipt is not JSON' };
  }
  try {
    const verified = verifyReceipt(documentSha256, receipt, key);
    return {
      ok: true,
      index: verified.index,
      treeSize: verified.treeSize,
      origin: verified.origin,
      receivedAt: verified.entry.receivedAt,
    };
  } catch (err) {
    if (err instanceof ReceiptError) return { ok: false, part: err.failure, detail: err.message };
    throw err;
  }
}
