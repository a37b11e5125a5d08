import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';

/**
 * X.509 path checks for RFC 3161 tokens: just what a relying party on a
 * pinned root needs (signatures, names, CA flags, validity at one instant).
 * No revocation, name constraints or path lengths: the roots are pinned by
 * the caller, not taken from a system store.
 */

/** One certificate in both views: Node's for keys and issuer checks, asn1-x509's for the fields Node hides. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly asn1: Certificate;
}

/** The longest path tried from the signer to a root, against loops and silly inputs. */
const MAX_DEPTH = 8;

/** A DER certificate in both views, or undefined when it is not one (exactly, in DER). */
export function parseCertificate(der: Uint8Array): ParsedCertificate | undefined {
  try {
    const bytes = new Uint8Array(der); // a copy: parsers may not honour a view's offset
    const asn1 = AsnConvert.parse(bytes, Certificate);
    if (Buffer.compare(Buffer.from(AsnConvert.serialize(asn1)), bytes) !== 0) return undefined;
    return { der: bytes, x509: new X509Certificate(bytes), asn1 };
  } catch {
    return undefined;
  }
}

/** The DER of every CERTIFICATE block in PEM text (other blocks are skipped). */
export function pemCertificates(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)].map(
    (m) => new Uint8Array(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64')),
  );
}

/** The subject as one line, most specific first (RFC 4514 order): "CN=TSA, O=Example". */
export const subjectLine = (certificate: ParsedCertificate): string =>
  certificate.x509.subject.split('\n').reverse().join(', ');

export function validAt(certificate: ParsedCertificate, at: Date): boolean {
  const { notBefore, notAfter } = certificate.asn1.tbsCertificate.validity;
  return notBefore.getTime().getTime() <= at.getTime() && at.getTime() <= notAfter.getTime().getTime();
}

const sameCertificate = (a: ParsedCertificate, b: ParsedCertificate): boolean =>
  Buffer.compare(a.der, b.der) === 0;

/**
 * A path from `leaf` to one of `trusted` (leaf first, the trusted
 * certificate last; the leaf alone when it is itself trusted), through
 * `intermediates`: each certificate is signed by the next, names it as its
 * issuer, which is a CA, and every one is valid at `at`. The trusted
 * certificate's own signature is not checked: it is trusted as given.
 * Returns why not when there is no such path.
 */
export function chainTo(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  trusted: readonly ParsedCertificate[],
  at: Date,
): { path: ParsedCertificate[] } | { reason: string } {
  const extend = (
    certificate: ParsedCertificate,
    path: ParsedCertificate[],
  ): ParsedCertificate[] | string => {
    const subject = subjectLine(certificate);
    if (!validAt(certificate, at)) return `"${subject}" is not valid at ${at.toISOString()}`;
    if (trusted.some((root) => sameCertificate(root, certificate))) return [...path, certificate];
    if (path.length >= MAX_DEPTH) return `the chain is longer than ${MAX_DEPTH} certificates`;
    let reason = `"${subject}" is not issued by a trusted certificate`;
    // Trusted certificates first: the shortest path usually ends there.
    for (const issuer of [...trusted, ...intermediates]) {
      if (path.some((seen) => sameCertificate(seen, issuer)) || sameCertificate(issuer, certificate))
        continue;
      if (!certificate.x509.checkIssued(issuer.x509)) continue; // "this was issued by other"
      if (!issuer.x509.ca) {
        reason = `"${subjectLine(issuer)}", the issuer of "${subject}", is not a CA`;
        continue;
      }
      if (!certificate.x509.verify(issuer.x509.publicKey)) {
        reason = `the signature on "${subject}" does not verify with the key of "${subjectLine(issuer)}"`;
        continue;
      }
      const found = extend(issuer, [...path, certificate]);
      if (typeof found !== 'string') return found;
      reason = found;
    }
    return reason;
  };
  const found = extend(leaf, []);
  return typeof found === 'string' ? { reason: found } : { path: found };
}
