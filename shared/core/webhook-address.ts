import ipaddr from 'ipaddr.js';

/**
 * Which addresses a webhook may be delivered to: public unicast only. Ranges
 * come from ipaddr.js's IANA special-purpose tables (`range()`), so there is
 * no CIDR arithmetic here. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as
 * the IPv4 address it maps to, and NAT64 / 6to4 / Teredo forms, which embed
 * an IPv4 address the network may route to, are refused outright.
 */

/** The only ipaddr.js range names that are globally routable unicast. */
const PUBLIC_RANGES = new Set(['unicast']);

export interface AddressPolicy {
  /**
   * Exact addresses allowed although not public: only for tests and the
   * local runtime (`STEMPEL_WEBHOOKS_TEST_ALLOW_ADDRESSES`), never set in AWS.
   */
  readonly allowAddresses?: readonly string[];
}

/** Why an address is refused, or undefined when it is a public unicast address. */
export function refusalOf(address: string, policy: AddressPolicy = {}): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (policy.allowAddresses?.some((a) => ipaddr.isValid(a) && sameAddress(ipaddr.parse(a), parsed)))
    return undefined;
  const range = parsed.range();
  return PUBLIC_RANGES.has(range) ? undefined : `${parsed.toString()} is ${range}, not a public address`;
}

const sameAddress = (a: ipaddr.IPv4 | ipaddr.IPv6, b: ipaddr.IPv4 | ipaddr.IPv6) =>
  a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();

/** Every resolved address must be public: a name that also resolves to a private one is refused whole. */
export function refusalOfAll(addresses: readonly string[], policy: AddressPolicy = {}): string | undefined {
  if (addresses.length === 0) return 'the name has no address';
  for (const a of addresses) {
    const refusal = refusalOf(a, policy);
    if (refusal) return refusal;
  }
  return undefined;
}
