import dns from 'node:dns';
import net from 'node:net';
import { invalid } from '../platform/errors.js';

// Targets a webhook may never reach unless WEBHOOK_ALLOW_PRIVATE_TARGETS: our own network,
// the host itself, cloud metadata (169.254.169.254), multicast and reserved space.
const blocked = new net.BlockList();
for (const [net4, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net4, prefix, 'ipv4');
for (const [net6, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net6, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = mappedIPv4(address);
    return v4 ? blocked.check(v4, 'ipv4') : blocked.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

/** `::ffff:a.b.c.d` or `::ffff:hhhh:hhhh` (how URLs print it) to `a.b.c.d`; null otherwise. */
function mappedIPv4(address: string): string | null {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Create/update time: resolve the host and refuse if any address is private. */
export async function assertPublicTarget(rawUrl: string, allowPrivate: boolean): Promise<void> {
  const url = new URL(rawUrl);
  if (allowPrivate) return;
  const host = hostOf(url);
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw invalid('The webhook URL host does not resolve', [{ path: 'url', message: 'Host does not resolve' }]);
  }
  if (addresses.some(isPrivateAddress)) {
    throw invalid('The webhook URL points to a private, loopback or link-local address', [
      { path: 'url', message: 'Private, loopback and link-local targets are not allowed' },
    ]);
  }
}

/** Send time, IP literals (which never go through DNS lookup). */
export function literalTargetRefused(rawUrl: string, allowPrivate: boolean): boolean {
  const host = hostOf(new URL(rawUrl));
  return !allowPrivate && net.isIP(host) !== 0 && isPrivateAddress(host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * DNS lookup for the HTTP client's sockets: the addresses actually connected to are checked,
 * so a host that resolves to a public address at create time and a private one later
 * (DNS rebinding) is still refused.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate && list.some((a) => isPrivateAddress(a.address))) {
        const refused: NodeJS.ErrnoException = new Error(`refused private webhook target ${hostname}`);
        refused.code = 'ESSRF';
        return callback(refused, []);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
