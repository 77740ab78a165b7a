// Downlink commands: the API queues them, the gateway moves them through
// queued -> sent -> delivered (PUBACK) -> acknowledged / rejected / failed (ack frame),
// or expired when the deadline passes first. Each transition emits downlink.status.
import type { Redis } from 'ioredis';
import { type AckResult, COMMAND_OPCODES, commandAppliesTo, commandSpecSchema, encodeCommand } from '../gateway/codecs/index.js';
import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import { writeOutbox } from '../src/events/index.js';
import type { Db, Prisma } from '../src/platform/database.js';
import { conflict, invalid, notFound } from '../src/platform/errors.js';
import type { DeviceService } from './device.service.js';
import type { CommandInput } from './devices.schemas.js';
import { operatorDay } from './operator-day.js';

const DEFAULT_TTL_SECONDS = 3600;
type Tx = Prisma.TransactionClient;

export interface DownlinkNotice {
  serial: string;
  commandId: number;
}

export const downlinkChannel = (prefix: string) => `${prefix}:gateway:downlink`;

interface CommandRow {
  id: number;
  deviceId: string;
  opcode: number;
  args: unknown;
  payload: Uint8Array;
  status: string;
  expiresAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  completedAt: Date | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const OPCODE_NAME = new Map<number, string>(Object.entries(COMMAND_OPCODES).map(([k, v]) => [v, k]));

export function commandView(c: CommandRow, serial: string) {
  return {
    id: c.id,
    serial,
    opcode: OPCODE_NAME.get(c.opcode) ?? c.opcode,
    args: c.args,
    payloadHex: Buffer.from(c.payload).toString('hex'),
    status: c.status,
    expiresAt: c.expiresAt,
    sentAt: c.sentAt,
    deliveredAt: c.deliveredAt,
    completedAt: c.completedAt,
    error: c.error,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** Counts a delivered downlink as usage in the caller's transaction; billing owns the counters and the container passes its meter in. */
export type DownlinkMeter = (tx: Tx, usage: { deviceId: string; contractId: string; day: Date; bytes: number }) => Promise<void>;

export function createCommandService(deps: {
  db: Db;
  redis: Redis;
  audit: AuditService;
  devices: DeviceService;
  prefix: string;
  timeZone: string;
  meterDownlink: DownlinkMeter;
}) {
  const { db, redis, audit, devices, prefix, timeZone, meterDownlink } = deps;

  async function statusEvent(tx: Tx, c: CommandRow, device: { id: string; serial: string; customerId: string | null }) {
    await writeOutbox(tx, [
      {
        type: 'downlink.status',
        customerId: device.customerId,
        deviceId: device.id,
        payload: { commandId: c.id, serial: device.serial, status: c.status, error: c.error, at: new Date().toISOString() },
      },
    ]);
  }

  /** Applies one transition if the command is still in one of `from`; returns the row or null. */
  async function transition(
    id: number,
    from: string[],
    data: Prisma.DownlinkCommandUpdateManyMutationInput,
    extra?: (
      tx: Tx,
      c: CommandRow,
      device: { id: string; serial: string; customerId: string | null; contractId: string | null },
    ) => Promise<void>,
  ) {
    return db.$transaction(async (tx) => {
      const n = await tx.downlinkCommand.updateMany({ where: { id, status: { in: from as never[] } }, data });
      if (n.count === 0) return null;
      const c = await tx.downlinkCommand.findUniqueOrThrow({
        where: { id },
        include: { device: { select: { id: true, serial: true, customerId: true, contractId: true } } },
      });
      await statusEvent(tx, c, c.device);
      if (extra) await extra(tx, c, c.device);
      return c;
    });
  }

  /** A delivered command is downlink usage of the terminal's contract for the operator day (billing writes the counter). */
  async function countDelivered(tx: Tx, c: CommandRow, device: { id: string; contractId: string | null }): Promise<void> {
    if (!device.contractId) return;
    const day = new Date(`${operatorDay(new Date(), timeZone)}T00:00:00Z`);
    await meterDownlink(tx, { deviceId: device.id, contractId: device.contractId, day, bytes: c.payload.length });
  }

  return {
    async create(ctx: Ctx, serial: string, input: CommandInput) {
      const device = await devices.visible(ctx, serial);
      if (!device.contractId || !['PROVISIONED', 'ACTIVE'].includes(device.status))
        throw conflict(`Device ${serial} is ${device.status} and takes no commands`);
      const parsed = commandSpecSchema.safeParse(
        input.args === undefined ? { opcode: input.opcode } : { opcode: input.opcode, args: input.args },
      );
      if (!parsed.success) {
        throw invalid(
          'Invalid command',
          parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })),
        );
      }
      const spec = parsed.data;
      if (!commandAppliesTo(spec, device.deviceModel.category)) {
        throw invalid(`${spec.opcode} does not apply to ${device.deviceModel.category.toLowerCase()} terminals`, [
          { path: 'body.opcode', message: 'Not applicable to this device model' },
        ]);
      }
      const expiresAt = new Date(Date.now() + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
      const row = await db.$transaction(async (tx) => {
        const created = await tx.downlinkCommand.create({
          data: {
            deviceId: device.id,
            opcode: COMMAND_OPCODES[spec.opcode],
            args: 'args' in spec ? spec.args : {},
            payload: new Uint8Array(0),
            expiresAt,
            createdById: ctx.actor.userId,
          },
        });
        // The row id is the u32 command id the terminal echoes, so the frame is encoded after the insert.
        const withPayload = await tx.downlinkCommand.update({
          where: { id: created.id },
          data: { payload: new Uint8Array(encodeCommand(created.id, spec)) },
        });
        await statusEvent(tx, withPayload, device);
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'downlink.queued',
            entityType: 'device',
            entityId: device.id,
            after: commandView(withPayload, serial),
          },
          tx,
        );
        return withPayload;
      });
      const notice: DownlinkNotice = { serial, commandId: row.id };
      await redis.publish(downlinkChannel(prefix), JSON.stringify(notice));
      return commandView(row, serial);
    },

    async get(ctx: Ctx, serial: string, id: number) {
      const device = await devices.visible(ctx, serial);
      const row = await db.downlinkCommand.findFirst({ where: { id, deviceId: device.id } });
      if (!row) throw notFound('Command');
      return commandView(row, serial);
    },

    async list(ctx: Ctx, serial: string, filter: { status?: string | undefined }, q: { limit: number; cursor?: string | undefined }) {
      const device = await devices.visible(ctx, serial);
      const before = q.cursor ? Number.parseInt(q.cursor, 10) : undefined;
      if (before !== undefined && !Number.isSafeInteger(before))
        throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
      const rows = await db.downlinkCommand.findMany({
        where: {
          deviceId: device.id,
          ...(filter.status ? { status: filter.status as never } : {}),
          ...(before ? { id: { lt: before } } : {}),
        },
        orderBy: { id: 'desc' },
        take: q.limit + 1,
      });
      const more = rows.length > q.limit;
      const items = more ? rows.slice(0, q.limit) : rows;
      return { items: items.map((r) => commandView(r, serial)), nextCursor: more ? String(items[items.length - 1]!.id) : null };
    },

    // ---- used by the gateway

    /** Commands to (re)send to a terminal that just connected, oldest first. */
    async pendingFor(deviceId: string) {
      return db.downlinkCommand.findMany({
        where: { deviceId, status: { in: ['QUEUED', 'SENT'] }, expiresAt: { gt: new Date() } },
        orderBy: { id: 'asc' },
        take: 100,
        select: { id: true, payload: true, status: true },
      });
    },

    async pendingById(id: number) {
      return db.downlinkCommand.findFirst({
        where: { id, status: { in: ['QUEUED', 'SENT'] }, expiresAt: { gt: new Date() } },
        select: { id: true, payload: true, deviceId: true },
      });
    },

    markSent: (id: number) => transition(id, ['QUEUED'], { status: 'SENT', sentAt: new Date() }),

    /** PUBACK from the terminal: delivered, and counted as downlink usage. */
    markDelivered: (id: number) => transition(id, ['SENT', 'QUEUED'], { status: 'DELIVERED', deliveredAt: new Date() }, countDelivered),

    /**
     * The terminal's ack frame. A late ack still completes a command that expired after delivery.
     * The ack may overtake the gateway's own bookkeeping of the send and the PUBACK (they commit
     * separately), so it completes a command still QUEUED or SENT too; an ack proves delivery, so
     * a command not yet marked delivered is counted as downlink usage here, once.
     */
    async applyAck(deviceId: string, commandId: number, result: AckResult) {
      const status = result === 'done' ? 'ACKNOWLEDGED' : result === 'rejected' ? 'REJECTED' : 'FAILED';
      const done = { status, completedAt: new Date(), error: result === 'done' ? null : `terminal answered ${result}` } as const;
      // States only move forward; if one moved between our read and our update, read again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const row = await db.downlinkCommand.findFirst({ where: { id: commandId, deviceId }, select: { status: true, deliveredAt: true } });
        if (!row) return null;
        const applied = row.deliveredAt
          ? await transition(commandId, ['DELIVERED', 'EXPIRED'], done)
          : await transition(commandId, ['QUEUED', 'SENT'], { ...done, deliveredAt: new Date() }, countDelivered);
        if (applied) return applied;
      }
      return null;
    },

    /** Expires every command whose deadline passed before it completed; safe to run in several processes. */
    async expireDue(): Promise<number> {
      const due = await db.downlinkCommand.findMany({
        where: { status: { in: ['QUEUED', 'SENT', 'DELIVERED'] }, expiresAt: { lte: new Date() } },
        select: { id: true },
        take: 500,
      });
      let n = 0;
      for (const { id } of due) {
        if (
          await transition(id, ['QUEUED', 'SENT', 'DELIVERED'], {
            status: 'EXPIRED',
            completedAt: new Date(),
            error: 'deadline passed before completion',
          })
        )
          n++;
      }
      return n;
    },
  };
}

export type CommandService = ReturnType<typeof createCommandService>;
