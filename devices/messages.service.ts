// Stored uplinks of a terminal, newest first, decoded beside the raw bytes.

import type { Ctx } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { invalid } from '../src/platform/errors.js';
import type { DeviceService } from './device.service.js';

export function createMessageService({ db, devices }: { db: Db; devices: DeviceService }) {
  return {
    async list(ctx: Ctx, serial: string, filter: { kind?: string | undefined }, q: { limit: number; cursor?: string | undefined }) {
      const device = await devices.visible(ctx, serial);
      let before: bigint | undefined;
      if (q.cursor) {
        if (!/^\d{1,20}$/.test(q.cursor))
          throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
        before = BigInt(q.cursor);
      }
      // Ordered by seq (the terminal's own order) so pages are stable while messages arrive.
      const rows = await db.message.findMany({
        where: {
          deviceId: device.id,
          ...(filter.kind ? { kind: filter.kind } : {}),
          ...(before !== undefined ? { seq: { lt: before } } : {}),
        },
        orderBy: { seq: 'desc' },
        take: q.limit + 1,
      });
      const more = rows.length > q.limit;
      const items = more ? rows.slice(0, q.limit) : rows;
      return {
        items: items.map((m) => ({
          id: m.id.toString(),
          seq: Number(m.seq),
          serial,
          direction: m.direction,
          topic: m.topic,
          kind: m.kind,
          qos: m.qos,
          bytes: m.bytes,
          units: m.units,
          payloadHex: Buffer.from(m.payload).toString('hex'),
          decoded: m.decoded,
          decodeError: m.decodeError,
          deviceTime: m.deviceTime,
          receivedAt: m.receivedAt,
        })),
        nextCursor: more ? items[items.length - 1]!.seq.toString() : null,
      };
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
