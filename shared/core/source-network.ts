import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address stands for when counting failed logins: the
 * address itself for IPv4, its /64 prefix for IPv6 (one subscriber holds a
 * whole /64, so counting single addresses would give them 2^64 fresh starts).
 * Anything that is not an address is counted as it is.
 */
export function sourceNetwork(address: string): string {
  const ip = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip.slice(0, 64) || 'unknown';
  const [head = '', tail] = ip.split('%')[0]?.split('::') ?? [];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const width = (groups: string[]) => groups.length + (groups.at(-1)?.includes('.') ? 1 : 0);
  // A dotted IPv4 tail fills the last two groups, outside the prefix.
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
