import { isIPv4, isIPv6 } from 'node:net';

/**
 * The address block one client controls, which is what failed logins are counted against. Counting
 * per address let a guesser walk around the throttle: a local user can send from any of 16 million
 * loopback addresses (127.0.0.0/8, all of them this machine), and an IPv6 client usually has a
 * whole /64 to pick from. So loopback counts as one client, an IPv6 address by its /64, an
 * IPv4-mapped IPv6 address as its IPv4 address, and any other IPv4 address by itself.
 */
export function clientBlock(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  if (isIPv4(address)) return address.startsWith('127.') ? 'loopback' : address;
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'loopback';
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded; a zone or IPv4 tail allowed). */
function expandIPv6(address: string): number[] {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
