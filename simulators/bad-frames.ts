// Malformed payloads for bad-frame injection: each one must fail decodeUplink on its topic,
// so the gateway's "store it with the decode error, never crash" path gets exercised.
import type { UplinkKind } from '../gateway/codecs/index.js';
import type { Rng } from './prng.js';

export function badFrame(good: Buffer, kind: UplinkKind, rng: Rng): Buffer {
  const variant = rng.int(0, 4);
  switch (variant) {
    case 0: // truncated by one byte
      return good.subarray(0, Math.max(1, good.length - 1));
    case 1: {
      // an unknown frame type
      const b = Buffer.from(good);
      b[0] = 0x7e;
      return b;
    }
    case 2: // broken JSON
      return Buffer.from('{"temp": 21.5, "unterminated', 'utf8');
    case 3: {
      // a frame type that does not belong on this topic (heartbeat on others, event on heartbeat)
      const b = Buffer.from(good);
      b[0] = kind === 'heartbeat' ? 0x03 : 0x02;
      return b;
    }
    default: {
      // one byte too many for fixed-length frames; for faults, 33 bytes of detail
      if (kind === 'fault') return Buffer.concat([good.subarray(0, 8), Buffer.alloc(33, 0x41)]);
      return Buffer.concat([good, Buffer.from([0x00])]);
    }
  }
}
