/**
 * OBJECT IDENTIFIERs with arcs of any size. asn1js (under the @peculiar
 * packages) writes big arcs correctly but reads an arc of 2^53 or more, such
 * as a UUID arc under 2.25 (X.667), as something else, so a DER value holding
 * one does not survive a parse and re-encode. These read the OID straight
 * from the DER.
 */

/** The dotted form of an OBJECT IDENTIFIER's content octets. */
export function oidFromContent(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const [first = 0n, ...rest] = arcs;
  const root = first < 40n ? 0n : first < 80n ? 1n : 2n;
  return [root, first - root * 40n, ...rest].join('.');
}

/** The `n`th element (from 0) of a DER SEQUENCE, if it is an OBJECT IDENTIFIER: its dotted form. */
export function oidInSequence(der: Uint8Array, n: number): string | undefined {
  const outer = readTlv(der, 0);
  if (outer?.tag !== 0x30) return undefined;
  let at = outer.start;
  for (let i = 0; at < outer.end; i++) {
    const element = readTlv(der, at);
    if (!element) return undefined;
    if (i === n)
      return element.tag === 0x06 ? oidFromContent(der.subarray(element.start, element.end)) : undefined;
    at = element.end;
  }
  return undefined;
}

/** One DER tag-length-value at `offset`: the tag and where its content starts and ends. */
function readTlv(der: Uint8Array, offset: number) {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) return undefined;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[start + i] ?? 0);
    start += octets;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}
