// PROXY protocol (HAProxy's v1 text and v2 binary header) in front of MQTT: behind a load
// balancer every connection comes from the balancer, and the header it sends first names the
// terminal's own address, which per-address limits, logs and session rows then use. Opt-in
// (MQTT_PROXY_PROTOCOL): when on, only the balancers listed in MQTT_PROXY_TRUSTED may connect,
// and a connection without a valid header is closed before any MQTT byte is read. The header
// precedes the TLS handshake too (the balancer passes TLS through untouched).
import { BlockList, isIP, type Socket } from 'node:net';
import type { Logger } from '../src/platform/logger.js';
import { BucketMap } from './limits.js';

export type ProxyProtocolVersions = 'v1' | 'v2' | 'any';

export interface ProxyProtocolSettings {
  /** Which header versions are accepted. */
  versions: ProxyProtocolVersions;
  /** Balancer addresses and CIDR ranges allowed to connect (and to name other addresses). */
  trusted: readonly string[];
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_SIGNATURE = Buffer.from('PROXY ', 'latin1');
/** The v1 header's longest form ("PROXY TCP6 <two full IPv6> <ports>\r\n"), from the specification. */
const V1_MAX_BYTES = 107;
/** v2 may carry TLVs after the addresses; balancers send a few dozen bytes of them, never kilobytes. */
export const V2_MAX_BYTES = 16 + 2048;
const HEADER_TIMEOUT_MS = 5_000;

export type HeaderResult =
  | { state: 'incomplete' }
  | { state: 'invalid'; reason: string }
  /** source null: a LOCAL (v2) or UNKNOWN (v1) header, e.g. the balancer's own health check. */
  | { state: 'ok'; bytes: number; version: 1 | 2; source: string | null };

/** True when `buf` so far agrees with the start of `signature`. */
function startsLike(buf: Buffer, signature: Buffer): boolean {
  const n = Math.min(buf.length, signature.length);
  return buf.subarray(0, n).equals(signature.subarray(0, n));
}

/** One spelling per address, so a terminal's limits and rows do not depend on how the header wrote it. */
function canonicalIp(address: string): string {
  if (isIP(address) !== 6) return address;
  const compressed = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(compressed);
  return mapped ? mapped[1]! : compressed;
}

function parseV1(buf: Buffer): HeaderResult {
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0)
    return buf.length >= V1_MAX_BYTES ? { state: 'invalid', reason: 'PROXY v1 header without CRLF in 107 bytes' } : { state: 'incomplete' };
  if (end + 2 > V1_MAX_BYTES) return { state: 'invalid', reason: 'PROXY v1 header longer than 107 bytes' };
  const parts = buf.toString('latin1', 0, end).split(' ');
  if (parts[1] === 'UNKNOWN') return { state: 'ok', bytes: end + 2, version: 1, source: null };
  const [, family, source, destination, sourcePort, destinationPort] = parts;
  const want = family === 'TCP4' ? 4 : family === 'TCP6' ? 6 : 0;
  if (!want || parts.length !== 6) return { state: 'invalid', reason: 'PROXY v1 header is not "PROXY TCP4|TCP6 src dst sport dport"' };
  if (isIP(source!) !== want || isIP(destination!) !== want)
    return { state: 'invalid', reason: `PROXY v1 header with a bad ${family} address` };
  for (const port of [sourcePort!, destinationPort!]) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return { state: 'invalid', reason: 'PROXY v1 header with a bad port' };
  }
  return { state: 'ok', bytes: end + 2, version: 1, source: canonicalIp(source!) };
}

function parseV2(buf: Buffer): HeaderResult {
  if (buf.length < 16) return { state: 'incomplete' };
  const length = buf.readUInt16BE(14);
  if (16 + length > V2_MAX_BYTES) return { state: 'invalid', reason: `PROXY v2 header of ${16 + length} bytes (at most ${V2_MAX_BYTES})` };
  if (buf.length < 16 + length) return { state: 'incomplete' };
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return { state: 'invalid', reason: 'PROXY v2 header with a version other than 2' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { state: 'invalid', reason: 'PROXY v2 header with an unknown command' };
  const bytes = 16 + length;
  // LOCAL: the balancer speaking for itself (health checks); the connection's own address counts.
  if (command === 0) return { state: 'ok', bytes, version: 2, source: null };
  const family = buf[13]! >> 4;
  const body = buf.subarray(16, bytes);
  if (family === 1) {
    if (length < 12) return { state: 'invalid', reason: 'PROXY v2 IPv4 header shorter than its addresses' };
    return { state: 'ok', bytes, version: 2, source: [...body.subarray(0, 4)].join('.') };
  }
  if (family === 2) {
    if (length < 36) return { state: 'invalid', reason: 'PROXY v2 IPv6 header shorter than its addresses' };
    const groups = Array.from({ length: 8 }, (_, i) => body.readUInt16BE(i * 2).toString(16));
    return { state: 'ok', bytes, version: 2, source: canonicalIp(groups.join(':')) };
  }
  // UNSPEC or a UNIX socket on the balancer's side: nothing that names a terminal's address.
  if (family === 0 || family === 3) return { state: 'ok', bytes, version: 2, source: null };
  return { state: 'invalid', reason: 'PROXY v2 header with an unknown address family' };
}

/** Reads a PROXY header at the start of `buf` (the first bytes a connection sent). */
export function parseProxyHeader(buf: Buffer, versions: ProxyProtocolVersions): HeaderResult {
  if (buf.length === 0) return { state: 'incomplete' };
  if (startsLike(buf, V2_SIGNATURE)) {
    if (versions === 'v1') return { state: 'invalid', reason: 'PROXY v2 header where v1 is configured' };
    return buf.length < V2_SIGNATURE.length ? { state: 'incomplete' } : parseV2(buf);
  }
  if (startsLike(buf, V1_SIGNATURE)) {
    if (versions === 'v2') return { state: 'invalid', reason: 'PROXY v1 header where v2 is configured' };
    return buf.length < V1_SIGNATURE.length ? { state: 'incomplete' } : parseV1(buf);
  }
  return { state: 'invalid', reason: 'no PROXY protocol header' };
}

/** A socket's peer as the trusted list spells it (dual-stack listeners report IPv4 as ::ffff:a.b.c.d). */
export function peerAddress(socket: Socket): string {
  return canonicalIp(socket.remoteAddress ?? '');
}

/** The trusted list as a BlockList; entries are addresses or CIDR ranges, checked by config. */
export function trustedList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(canonicalIp(address), type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

export type ProxyGate = (socket: Socket, accepted: (remoteAddress: string) => void) => void;

/**
 * Checks a new connection's source and reads its PROXY header; `accepted` gets the terminal's
 * address with the socket paused and every byte after the header still unread in it.
 */
export function createProxyGate(settings: ProxyProtocolSettings, log: Logger): ProxyGate {
  const trusted = trustedList(settings.trusted);
  // A misconfigured balancer or a scanner would otherwise write one line per connection attempt.
  const warnings = new BucketMap();
  const refuse = (socket: Socket, peer: string, reason: string) => {
    if (warnings.take(peer, 1, 1 / 60))
      log.warn({ peer, reason }, 'connection refused: PROXY protocol (at most one line per address a minute)');
    socket.destroy();
  };
  return (socket, accepted) => {
    const peer = peerAddress(socket);
    if (!trusted.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4')) {
      refuse(socket, peer, 'source not in MQTT_PROXY_TRUSTED');
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
    };
    const timer = setTimeout(() => {
      done();
      refuse(socket, peer, 'no PROXY protocol header within 5 s');
    }, HEADER_TIMEOUT_MS);
    const onError = () => {
      done();
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const header = parseProxyHeader(buf, settings.versions);
      if (header.state === 'incomplete') return;
      done();
      if (header.state === 'invalid') {
        refuse(socket, peer, header.reason);
        return;
      }
      socket.pause();
      // What followed the header in the same read (CONNECT, a TLS ClientHello) is read again by the next owner.
      if (buf.length > header.bytes) socket.unshift(buf.subarray(header.bytes));
      accepted(header.source ?? peer);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', () => clearTimeout(timer));
  };
}
