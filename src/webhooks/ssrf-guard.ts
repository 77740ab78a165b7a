import dns from 'node:dns';
import net from 'node:net';
import { buildConnector } from 'undici';
import { invalid } from '../platform/errors.js';
import { isPrivateAddress } from './address-policy.js';

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** A refusal as the HTTP client reports it (the delivery log shows `refused: ...`). */
function refusal(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`refused private webhook target ${hostname}`), { code: 'ESSRF' });
}

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
  if (addresses.some((a) => isPrivateAddress(a))) {
    throw invalid('The webhook URL points to a private, loopback or link-local address', [
      { path: 'url', message: 'Private, loopback and link-local targets are not allowed' },
    ]);
  }
}

type Connector = buildConnector.connector;

/**
 * The HTTP client's connector: a host is resolved once, every address it resolves to is checked,
 * and the socket goes to that checked address, so a name that answers with a public address at
 * one moment and a private one the next (DNS rebinding) cannot slip through between check and
 * connect. The URL's host stays the Host header and the TLS server name. IP literals are checked
 * the same way.
 */
export function guardedConnector(allowPrivate: boolean, timeoutMs: number): Connector {
  const base = buildConnector({ timeout: timeoutMs });
  if (allowPrivate) return base;
  return (options, callback) => {
    const hostname = options.hostname.replace(/^\[|\]$/g, '');
    const connectTo = (address: string) => {
      const servername = net.isIP(hostname) ? undefined : (options.servername ?? hostname);
      base({ ...options, hostname: address, ...(servername ? { servername } : {}) }, callback);
    };
    if (net.isIP(hostname)) {
      if (isPrivateAddress(hostname)) return callback(refusal(hostname), null);
      return connectTo(hostname);
    }
    dns.lookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, null);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), null);
      if (addresses.some((a) => isPrivateAddress(a.address))) return callback(refusal(hostname), null);
      connectTo(first.address);
    });
  };
}
