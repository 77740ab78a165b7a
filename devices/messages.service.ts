// Stored uplinks of a terminal in a time range, decoded beside the raw bytes, a page at a time.

import type { Ctx } from '../src/auth/index.js';
import type { Db, Prisma } from '../src/platform/database.js';
import type { DeviceService } from './device.service.js';
import { decodeMessageCursor, encodeMessageCursor, openRange } from './message-range.js';
import { MAX_LIST_SPAN_MS, type MessageListFilter } from './messages.schemas.js';

type FilterInput = Partial<MessageListFilter>;

export function createMessageService({ db, devices }: { db: Db; devices: DeviceService }) {
  return {
    /**
     * Pages follow (receivedAt, id), newest first by default: every condition is on the
     * terminal and on receivedAt, so the (deviceId, receivedAt) index answers it and a store
     * partitioned by receivedAt reads only the partitions of the range.
     */
    async list(ctx: Ctx, serial: string, filter: FilterInput, q: { limit: number; cursor?: string | undefined }) {
      const device = await devices.visible(ctx, serial);
      const range = openRange(filter, MAX_LIST_SPAN_MS);
      const after = q.cursor ? decodeMessageCursor(q.cursor) : null;
      const desc = (filter.order ?? 'desc') === 'desc';
      const receivedAt: Prisma.DateTimeFilter = {
        ...(range.from ? { gte: range.from } : {}),
        ...(range.to ? { lt: range.to } : {}),
      };
      const where: Prisma.MessageWhereInput = {
        deviceId: device.id,
        ...(filter.kind ? { kind: filter.kind } : {}),
        receivedAt,
      };
      if (after) {
        // The bound on receivedAt alone lets the index start at the cursor; the OR settles ties.
        if (desc) receivedAt.lte = after.receivedAt;
        else receivedAt.gte = range.from && range.from > after.receivedAt ? range.from : after.receivedAt;
        where.OR = [
          { receivedAt: desc ? { lt: after.receivedAt } : { gt: after.receivedAt } },
          { receivedAt: after.receivedAt, id: desc ? { lt: after.id } : { gt: after.id } },
        ];
      }
      const dir = desc ? ('desc' as const) : ('asc' as const);
      const rows = await db.message.findMany({ where, orderBy: [{ receivedAt: dir }, { id: dir }], take: q.limit + 1 });
      const more = rows.length > q.limit;
      const items = more ? rows.slice(0, q.limit) : rows;
      const last = items[items.length - 1];
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
        nextCursor: more && last ? encodeMessageCursor(last) : null,
      };
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
