// The PROXY header reader against headers built by an independent encoder (proxy-protocol-js)
// and against hostile input; sockets and balancers are in test/gateway/gateway-proxy*.test.ts.
import fc from 'fast-check';
import {
  Command,
  INETProtocol,
  IPv4Address,
  IPv4ProxyAddress,
  IPv6Address,
  IPv6ProxyAddress,
  Peer,
  TransportProtocol,
  UnspecProxyAddress,
  V1BinaryProxyProtocol,
  V2ProxyProtocol,
} from 'proxy-protocol-js';
import { describe, expect, it } from 'vitest';
import { parseProxyHeader, trustedList, V2_MAX_BYTES } from './proxy-protocol.js';

const CONNECT = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x1e, 0x00, 0x00]);
const v1 = (src: string, dst: string, inet = INETProtocol.TCP4) =>
  Buffer.from(new V1BinaryProxyProtocol(inet, new Peer(src, 51234), new Peer(dst, 1883)).build());
const v2ipv4 = (src: number[], command = Command.PROXY) =>
  Buffer.from(
    new V2ProxyProtocol(
      command,
      TransportProtocol.STREAM,
      new IPv4ProxyAddress(IPv4Address.createFrom(src), 51234, IPv4Address.createFrom([10, 0, 0, 5]), 1883),
    ).build(),
  );

describe('PROXY protocol header', () => {
  it('reads the terminal address of v1 and v2 headers, and says where MQTT begins', () => {
    const text = v1('203.0.113.7', '10.0.0.5');
    expect(parseProxyHeader(Buffer.concat([text, CONNECT]), 'any')).toEqual({
      state: 'ok',
      bytes: text.length,
      version: 1,
      source: '203.0.113.7',
    });
    const bin = v2ipv4([198, 51, 100, 23]);
    expect(parseProxyHeader(Buffer.concat([bin, CONNECT]), 'v2')).toEqual({ state: 'ok', bytes: 28, version: 2, source: '198.51.100.23' });
    const six = Buffer.from(
      new V2ProxyProtocol(
        Command.PROXY,
        TransportProtocol.STREAM,
        new IPv6ProxyAddress(
          IPv6Address.createFrom([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42]),
          1,
          IPv6Address.createFrom(Array(16).fill(0)),
          2,
        ),
      ).build(),
    );
    expect(parseProxyHeader(six, 'any')).toMatchObject({ state: 'ok', bytes: 52, source: '2001:db8::42' });
    expect(parseProxyHeader(v1('2001:db8:0:0::42', '::1', INETProtocol.TCP6), 'v1')).toMatchObject({ source: '2001:db8::42' });
  });

  it("takes the connection's own address for the balancer's health checks (LOCAL, UNKNOWN, UNSPEC)", () => {
    expect(parseProxyHeader(v2ipv4([1, 2, 3, 4], Command.LOCAL), 'v2')).toMatchObject({ state: 'ok', source: null });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'), 'v1')).toMatchObject({ state: 'ok', bytes: 15, source: null });
    const unspec = Buffer.from(new V2ProxyProtocol(Command.PROXY, TransportProtocol.UNSPEC, new UnspecProxyAddress()).build());
    expect(parseProxyHeader(unspec, 'any')).toMatchObject({ state: 'ok', bytes: 16, source: null });
  });

  it('skips the TLVs a v2 header may carry after the addresses', () => {
    const bin = v2ipv4([192, 0, 2, 9]);
    const tlv = Buffer.from([0x01, 0x00, 0x02, 0x68, 0x32]); // PP2_TYPE_ALPN "h2"
    const withTlv = Buffer.concat([bin, tlv]);
    withTlv.writeUInt16BE(12 + tlv.length, 14);
    expect(parseProxyHeader(Buffer.concat([withTlv, CONNECT]), 'v2')).toMatchObject({ state: 'ok', bytes: 33, source: '192.0.2.9' });
  });

  it('waits for a header split across reads', () => {
    const whole = Buffer.concat([v2ipv4([192, 0, 2, 1]), CONNECT]);
    for (let cut = 0; cut < 28; cut++) expect(parseProxyHeader(whole.subarray(0, cut), 'any').state).toBe('incomplete');
    const text = v1('192.0.2.1', '192.0.2.2');
    for (let cut = 0; cut < text.length; cut++) expect(parseProxyHeader(text.subarray(0, cut), 'any').state).toBe('incomplete');
  });

  it('refuses a connection that starts with MQTT, the other version, or a malformed header', () => {
    const invalid = (buf: Buffer, versions: 'v1' | 'v2' | 'any' = 'any') => parseProxyHeader(buf, versions);
    expect(invalid(CONNECT)).toEqual({ state: 'invalid', reason: 'no PROXY protocol header' });
    expect(invalid(v1('192.0.2.1', '192.0.2.2'), 'v2')).toMatchObject({
      state: 'invalid',
      reason: expect.stringContaining('v1 header where v2'),
    });
    expect(invalid(v2ipv4([1, 2, 3, 4]), 'v1')).toMatchObject({ state: 'invalid', reason: expect.stringContaining('v2 header where v1') });
    for (const line of [
      'PROXY TCP4 999.1.1.1 10.0.0.1 1 2\r\n',
      'PROXY TCP4 ::1 ::1 1 2\r\n',
      'PROXY TCP6 10.0.0.1 10.0.0.2 1 2\r\n',
      'PROXY TCP4 10.0.0.1 10.0.0.2 1 65536\r\n',
      'PROXY TCP4 10.0.0.1 10.0.0.2 1\r\n',
      'PROXY UDP4 10.0.0.1 10.0.0.2 1 2\r\n',
      `PROXY TCP4 10.0.0.1 10.0.0.2 1 ${'2'.repeat(120)}\r\n`,
    ]) {
      expect(invalid(Buffer.from(line)), line).toMatchObject({ state: 'invalid' });
    }
    expect(invalid(Buffer.from(`PROXY TCP4 ${'1'.repeat(200)}`))).toMatchObject({ state: 'invalid' });
    const huge = v2ipv4([1, 2, 3, 4]);
    huge.writeUInt16BE(V2_MAX_BYTES, 14);
    expect(invalid(huge)).toMatchObject({ state: 'invalid', reason: expect.stringContaining('at most') });
    const short = v2ipv4([1, 2, 3, 4]);
    short.writeUInt16BE(4, 14);
    expect(invalid(short)).toMatchObject({ state: 'invalid', reason: expect.stringContaining('shorter') });
    const v3 = v2ipv4([1, 2, 3, 4]);
    v3[12] = 0x31;
    expect(invalid(v3)).toMatchObject({ state: 'invalid' });
  });

  it('never throws, and never reads past what it was given, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withSignature) => {
        const buf = withSignature ? Buffer.concat([v2ipv4([1, 2, 3, 4]).subarray(0, 14), Buffer.from(bytes)]) : Buffer.from(bytes);
        const r = parseProxyHeader(buf, 'any');
        if (r.state === 'ok') expect(r.bytes).toBeLessThanOrEqual(buf.length);
      }),
    );
  });

  it('trusts listed addresses and ranges only, IPv4 seen through a dual-stack socket included', () => {
    const list = trustedList(['10.1.0.0/16', '192.0.2.10', 'fd00::/8']);
    expect(list.check('10.1.200.3', 'ipv4')).toBe(true);
    expect(list.check('10.2.0.1', 'ipv4')).toBe(false);
    expect(list.check('192.0.2.10', 'ipv4')).toBe(true);
    expect(list.check('192.0.2.11', 'ipv4')).toBe(false);
    expect(list.check('fd12::1', 'ipv6')).toBe(true);
  });
});
