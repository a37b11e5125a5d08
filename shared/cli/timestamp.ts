import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { timeStampRequest } from '../core/tsa';
import {
  TimeStampError,
  tokenCertificates,
  tokenFromResponse,
  verifyTimeStampToken,
} from '../core/tsa-verify';
import { CliError } from './api-client';
import { hashFile } from './hash-file';
import { type SignInOptions, signedIn } from './sign-in';

export interface TimestampOptions extends SignInOptions {
  /** The binary API's base URL, when it is not `url` (the stack output BinaryApiUrl). */
  readonly binaryUrl?: string;
  readonly out?: string;
  readonly timeout: number;
}

/**
 * `stempel timestamp <file>`: an RFC 3161 token from Stempel's TSA for the
 * file's SHA-256 (with a nonce, and the certificates), saved as the
 * TimeStampResp (`.tsr`, what `openssl ts -verify -in` reads); then, once the
 * token's log entry is sealed, the receipt that proves the token is in the
 * log (`.tsr.receipt.json`).
 */
export async function timestamp(file: string, options: TimestampOptions, tokenOnCommandLine: boolean) {
  const api = await signedIn(options, tokenOnCommandLine);
  const digest = Buffer.from(await hashFile(file), 'hex');
  const nonce = BigInt(`0x${randomBytes(8).toString('hex')}`);
  const { der } = timeStampRequest({ hashAlgorithm: 'SHA-256', hashedMessage: digest, nonce, certReq: true });
  const { bytes, headers } = await api.postBytes(
    options.binaryUrl ?? options.url,
    '/v1/tsa',
    der,
    'application/timestamp-query',
  );
  let genTime: Date;
  try {
    const token = tokenFromResponse(bytes);
    // That it answers this request; whether to trust the TSA is `stempel verify --tsa-ca`'s question.
    genTime = verifyTimeStampToken(token, {
      trusted: tokenCertificates(token),
      imprint: { hashAlgorithm: 'SHA-256', hashedMessage: digest },
      nonce,
    }).genTime;
  } catch (err) {
    if (err instanceof TimeStampError) throw new CliError(`the TSA's answer: ${err.message}`);
    throw err;
  }
  const out = options.out ?? `${file}.tsr`;
  writeFileSync(out, bytes);
  console.log(`time-stamped ${file} at ${genTime.toISOString()}: ${out}`);

  const entryId = headers.get('stempel-log-entry');
  if (!entryId) throw new CliError('the TSA did not name the log entry of its token');
  const receipt = await api.waitForReceipt(entryId, options.timeout * 1000);
  if (receipt === undefined) {
    throw new CliError(
      `the token is entry ${entryId} of the log, not sealed within ${options.timeout} s; ` +
        `fetch its receipt later: GET ${api.url(`/v1/notarizations/${entryId}/receipt`)}`,
    );
  }
  const receiptOut = `${out}.receipt.json`;
  writeFileSync(receiptOut, receipt);
  console.log(`the token's log receipt: ${receiptOut}`);
  console.log(
    `check both offline: stempel verify ${file} ${receiptOut} --tsr ${out} --tsa-ca <Stempel's TSA CA> --key <the log's verifier key>`,
  );
  console.log(`    (the CA is served at ${api.url('/v1/tsa/certificates')}: pin it out of band)`);
}
