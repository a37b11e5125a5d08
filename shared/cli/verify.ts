import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Receipt, ReceiptError, receiptSchema, verifyReceipt } from '../core/receipt';
import { verifyAnchor } from '../core/receipt-anchor';
import {
  certificatesFromPem,
  TimeStampError,
  tokenFromResponse,
  type VerifiedTimeStamp,
  verifyTimeStampToken,
} from '../core/tsa-verify';
import { hashFile } from './hash-file';

export interface VerifyOptions {
  readonly key: string;
  /** An RFC 3161 reply or token for the document. */
  readonly tsr?: string;
  /** PEM roots the token must chain to (Stempel's TSA CA, pinned). */
  readonly tsaCa?: string;
  /** PEM roots of external TSAs, to check the receipt's external anchor. */
  readonly anchorCa?: readonly string[];
}

/** A check that failed: which one, and why. */
export class VerificationFailure extends Error {
  override readonly name = 'VerificationFailure';
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(message);
  }
}

const PART: Record<ReceiptError['failure'], string> = {
  malformed_receipt: 'receipt',
  document_mismatch: 'document hash',
  signature: 'signature',
  inclusion: 'inclusion',
  anchor: 'external anchor',
};

/**
 * `stempel verify <file> <receipt>`: the receipt (a notarization's, or the
 * log receipt of an RFC 3161 token); with `--tsr`, the token too, against a
 * pinned TSA root; with `--anchor-ca`, the receipt's external anchor, which
 * bounds the time under a clock Stempel does not control. Returns the lines
 * to print; throws VerificationFailure naming the part that failed.
 */
export async function verifyFiles(
  file: string,
  receiptPath: string,
  options: VerifyOptions,
): Promise<string[]> {
  let receipt: Receipt;
  try {
    receipt = receiptSchema.parse(JSON.parse(readFileSync(receiptPath, 'utf8')));
  } catch {
    throw new VerificationFailure('receipt', `${receiptPath} is not a receipt`);
  }
  const lines: string[] = [];
  const token = options.tsr ? readToken(options.tsr) : undefined;
  const stamp = token ? await checkToken(file, token, options.tsaCa) : undefined;
  const isTokenEntry = (JSON.parse(receipt.entry) as { type?: string }).type === 'timestamp';

  try {
    if (isTokenEntry) {
      if (!token || !stamp)
        throw new VerificationFailure(
          'time-stamp token',
          'this is the receipt of a token: give the token with --tsr',
        );
      const v = verifyReceipt(createHash('sha256').update(token).digest('hex'), receipt, options.key);
      const entry = v.entry as { serial?: string; receivedAt: string };
      if (
        entry.serial !== stamp.serialNumber.toString(16) ||
        entry.receivedAt !== stamp.genTime.toISOString()
      )
        throw new VerificationFailure(
          'time-stamp token',
          "the log entry's serial number or time is not the token's",
        );
      lines.push(`OK: ${file} (${stamp.hashAlgorithm} ${Buffer.from(stamp.hashedMessage).toString('hex')})`);
      lines.push(
        `    time-stamped at ${stamp.genTime.toISOString()} by ${stamp.tsaSubject}, serial ${entry.serial}`,
      );
      lines.push(
        `    the token is entry ${v.index} of ${v.origin}, in the signed checkpoint of ${v.treeSize} entries`,
      );
    } else {
      const sha256 = await hashFile(file);
      const v = verifyReceipt(sha256, receipt, options.key);
      lines.push(`OK: ${file} (sha256 ${sha256})`);
      lines.push(`    notarized at ${v.entry.receivedAt} as entry ${v.index} of ${v.origin}`);
      lines.push(`    included in the signed checkpoint of ${v.treeSize} entries`);
      if (stamp)
        lines.push(
          `    RFC 3161 token: time-stamped at ${stamp.genTime.toISOString()} by ${stamp.tsaSubject}`,
        );
    }
    if (options.anchorCa && options.anchorCa.length > 0) {
      const roots = options.anchorCa.flatMap((path) => pemFile(path, 'anchor CA'));
      const bound = verifyAnchor(receipt, options.key, roots);
      lines.push(
        `    existed no later than ${bound.notAfter.toISOString()}: anchored in the checkpoint of ${bound.anchoredSize} entries, time-stamped by ${bound.tsaSubject} (${bound.tsa})`,
      );
    } else if (receipt.anchor) {
      lines.push(
        '    the receipt carries an external time anchor: give --anchor-ca <its TSA root> to check it',
      );
    }
  } catch (err) {
    if (err instanceof ReceiptError) throw new VerificationFailure(PART[err.failure], err.message);
    throw err;
  }
  return lines;
}

/** A .tsr (TimeStampResp, as `openssl ts -reply` writes it) or a bare token (`-token_out`). */
function readToken(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  try {
    return tokenFromResponse(bytes);
  } catch (err) {
    if (err instanceof TimeStampError && err.failure === 'rejected')
      throw new VerificationFailure('time-stamp token', `${path}: ${err.message}`);
    return bytes; // not a response: verified as a token below
  }
}

async function checkToken(
  file: string,
  token: Uint8Array,
  tsaCa: string | undefined,
): Promise<VerifiedTimeStamp> {
  if (!tsaCa)
    throw new VerificationFailure(
      'time-stamp token',
      'give the TSA root to check the token against: --tsa-ca',
    );
  try {
    const verified = verifyTimeStampToken(token, { trusted: pemFile(tsaCa, 'TSA CA') });
    const algorithm = verified.hashAlgorithm.replace('-', '').toLowerCase() as 'sha256' | 'sha384' | 'sha512';
    const digest = await hashFile(file, algorithm);
    if (digest !== Buffer.from(verified.hashedMessage).toString('hex'))
      throw new VerificationFailure(
        'time-stamp token',
        `the token is for another document (${verified.hashAlgorithm})`,
      );
    return verified;
  } catch (err) {
    if (err instanceof TimeStampError) throw new VerificationFailure('time-stamp token', err.message);
    throw err;
  }
}

function pemFile(path: string, what: string): Uint8Array[] {
  try {
    return certificatesFromPem(readFileSync(path, 'utf8'));
  } catch {
    throw new VerificationFailure(what, `${path} holds no PEM certificate`);
  }
}
