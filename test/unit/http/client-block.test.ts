import { describe, expect, it } from 'vitest';
import { clientBlock } from '../../../src/http/client-block.ts';

describe('clientBlock: what failed logins are counted against', () => {
  it('counts every loopback address, IPv4 or IPv6, as one client', () => {
    for (const ip of ['127.0.0.1', '127.255.3.9', '::ffff:127.0.0.2', '::1', '0:0:0:0:0:0:0:1'])
      expect(clientBlock(ip)).toBe('loopback');
  });

  it('counts an IPv6 client by its /64, however the address is written', () => {
    const block = clientBlock('2001:db8:1:2::1');
    expect(block).toBe('2001:db8:1:2::/64');
    for (const ip of [
      '2001:db8:1:2:ffff:eeee:dddd:cccc',
      '2001:0DB8:0001:0002:0:0:0:9',
      '2001:db8:1:2::9%eth0',
    ])
      expect(clientBlock(ip)).toBe(block);
    expect(clientBlock('2001:db8:1:3::1')).not.toBe(block);
    expect(clientBlock('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientBlock('64:ff9b::10.1.2.3')).toBe('64:ff9b:0:0::/64');
  });

  it('keeps other IPv4 addresses apart', () => {
    expect(clientBlock('10.0.0.1')).toBe('10.0.0.1');
    expect(clientBlock('10.0.0.2')).toBe('10.0.0.2');
  });
});
