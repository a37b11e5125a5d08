import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address (valid per isIPv6), a dotted IPv4 tail taking two. */
function groupsOf(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const parse = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [Number.parseInt(g, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
          return [a * 256 + b, c * 256 + d];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The network a client address stands for when counting failed logins: the
 * address itself for IPv4 (also when written IPv4-mapped, `::ffff:a.b.c.d`),
 * its /64 prefix for IPv6 (one subscriber holds a whole /64, so counting
 * single addresses would give them 2^64 fresh starts). Anything that is not an
 * address is counted as it is, bounded.
 */
export function sourceNetwork(address: string): string {
  const ip = address.toLowerCase().split('%')[0] ?? '';
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return address.slice(0, 64) || 'unknown';
  const g = groupsOf(ip);
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  if (mapped) {
    const [hi = 0, lo = 0] = g.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
