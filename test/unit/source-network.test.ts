import { describe, expect, it } from 'vitest';
import { sourceNetwork } from '../../shared/core/source-network';

describe('source network of a client address', () => {
  it('is the address itself for IPv4, also when IPv4-mapped', () => {
    expect(sourceNetwork('203.0.113.9')).toBe('203.0.113.9');
    expect(sourceNetwork('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(sourceNetwork('::FFFF:203.0.113.9')).toBe('203.0.113.9');
    expect(sourceNetwork('::ffff:cb00:7109')).toBe('203.0.113.9');
  });

  it('is the /64 prefix for IPv6, however the address is written', () => {
    const net = '2001:db8:0:1::/64';
    expect(sourceNetwork('2001:db8:0:1::1')).toBe(net);
    expect(sourceNetwork('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe(net);
    expect(sourceNetwork('2001:db8::1:0:0:0:1')).toBe(net);
    expect(sourceNetwork('2001:db8:0:1::1%eth0')).toBe(net);
    expect(sourceNetwork('2001:DB8:0:1::1')).toBe(net);
    expect(sourceNetwork('::1')).toBe('0:0:0:0::/64');
    expect(sourceNetwork('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(sourceNetwork('2001:db8:0:2::1')).not.toBe(net);
  });

  it('keeps anything else as it is, bounded', () => {
    expect(sourceNetwork('unknown')).toBe('unknown');
    expect(sourceNetwork('x'.repeat(500))).toHaveLength(64);
    expect(sourceNetwork('')).toBe('unknown');
  });
});
