// Which IP addresses a webhook may never reach (unless WEBHOOK_ALLOW_PRIVATE_TARGETS): our own
// network, the host itself, cloud metadata (169.254.169.254), multicast and reserved space, in
// every IPv6 spelling that leads to such an IPv4 address.
import net from 'node:net';
import { networkInterfaces } from 'node:os';

const blocked4 = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked4.addSubnet(prefix, bits, 'ipv4');

const blocked6 = new net.BlockList();
for (const [prefix, bits] of [
  // Unspecified, loopback and every other address of ::/96 (IPv4-compatible, checked below too).
  ['::', 96],
  // Local-use NAT64 (RFC 8215): translates to the operator's own IPv4 space.
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard-only
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
] as const)
  blocked6.addSubnet(prefix, bits, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted IPv4 allowed). */
function groups6(address: string): number[] | null {
  let a = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    if (net.isIPv4(dotted[1]!) === false) return null;
    const [p, q, r, s] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    a = `${a.slice(0, dotted.index)}${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...new Array<number>(Math.max(fill, 0)).fill(0), ...tail];
  return all.length === 8 && all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : null;
}

const v4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');

/**
 * The IPv4 addresses an IPv6 address leads to: IPv4-mapped (::ffff:0:0/96), IPv4-translated
 * (::ffff:0:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo
 * (2001::/32: the server, and the client as the bitwise NOT of the last 32 bits).
 */
export function embeddedIPv4(address: string): string[] {
  const g = groups6(address);
  if (!g) return [];
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const last = v4(g6, g7);
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0 || g5 === 0xffff)) return [last];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return [last];
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return [last];
  if (g0 === 0x2002) return [v4(g1, g2)];
  if (g0 === 0x2001 && g1 === 0) return [v4(g2, g3), v4(~g6 & 0xffff, ~g7 & 0xffff)];
  return [];
}

let own: { at: number; addresses: Set<string> } | null = null;
/** The host's own interface addresses (the API's listen address among them), re-read every few seconds. */
function ownAddresses(): Set<string> {
  if (own && Date.now() - own.at < 5_000) return own.addresses;
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) addresses.add(canonical(a.address));
  }
  own = { at: Date.now(), addresses };
  return addresses;
}

/** One spelling per address, so `::FFFF:7f00:1`, `0:0::ffff:127.0.0.1` and the like compare equal. */
function canonical(address: string): string {
  if (net.isIPv4(address)) return address;
  const g = groups6(address);
  return g ? g.map((x) => x.toString(16)).join(':') : address.toLowerCase();
}

/**
 * Whether a webhook must not connect to `address`. Anything that is not an IP address is
 * refused too. `local` (the host's interface addresses by default) is a parameter for tests.
 */
export function isPrivateAddress(address: string, localAddresses?: Iterable<string>): boolean {
  const local = localAddresses ? new Set([...localAddresses].map(canonical)) : ownAddresses();
  const bare = address.replace(/^\[|\]$/g, '');
  const family = net.isIP(bare.replace(/%.*$/, ''));
  if (family === 0) return true;
  if (local.has(canonical(bare.replace(/%.*$/, '')))) return true;
  if (family === 4) return blocked4.check(bare, 'ipv4');
  const embedded = embeddedIPv4(bare);
  if (embedded.some((a) => blocked4.check(a, 'ipv4') || local.has(a))) return true;
  return blocked6.check(bare.replace(/%.*$/, ''), 'ipv6');
}
