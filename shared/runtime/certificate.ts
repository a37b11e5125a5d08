import { StempelError } from '../core/errors';
import type { Principal } from '../core/roles';
import { transparency } from './log';
import { notary } from './notary';

/**
 * The PDF certificate of a notarization the caller may see (the same rule as
 * GET /v1/notarizations/{id}: owner, verifier or admin; anyone else 404), or
 * 409 not_sealed while it is not in the log yet.
 */
export async function certificatePdf(principal: Principal, id: string): Promise<Uint8Array> {
  const notarization = await notary().get(principal, id);
  const log = await transparency();
  const receipt = await log.receipt(notarization);
  if (!receipt)
    throw new StempelError(
      'conflict',
      'not_sealed',
      'This notarization is not in the log yet; ask again shortly (its receipt route answers 202 until then).',
    );
  const { verifierKey } = await log.key();
  // Loaded on first use: pdf-lib and the QR encoder stay out of the notarizations function's cold start.
  const { renderCertificate } = await import('../core/certificate');
  return renderCertificate({
    id: notarization.id,
    ...(notarization.name ? { name: notarization.name } : {}),
    sha256: notarization.sha256,
    receivedAt: notarization.receivedAt,
    receipt,
    verifierKey,
    receiptUrl: `/v1/notarizations/${notarization.id}/receipt`,
  });
}
