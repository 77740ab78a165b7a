// Terminal inventory and lifecycle: stock, provisioning to a contract, secret rotation and
// status changes. Every change is audited in its transaction and invalidates the gateway's
// credential cache so it takes effect on the network within 2 s.

import { NUMERIC_FIELDS } from '../gateway/codecs/index.js';
import type { ServiceEventKind } from '../prisma/generated/enums.js';
import type { AuditService } from '../src/audit/index.js';
import type { Principal } from '../src/auth/index.js';
import { type Ctx, deviceScopeWhere, hashSecret, isStaff, newSecret } from '../src/auth/index.js';
import type { Db, Prisma } from '../src/platform/database.js';
import { AppError, conflict, invalid, notFound } from '../src/platform/errors.js';
import type { CredentialStore } from './credentials.js';
import { deviceView } from './device.view.js';
import type { DeviceFilter, DeviceSettingsPatch, ProvisionInput, StatusChangeInput, StockInput } from './devices.schemas.js';
import { expectedIntervalOf } from './health/index.js';

/** A dated change of a terminal's service, for billing's service history. */
export interface TerminalServiceChange {
  contractId: string;
  deviceId: string;
  kind: Extract<ServiceEventKind, `TERMINAL_${string}`>;
  at?: Date;
  reason?: string | null;
}

/** Billing's service history, written in the transaction that makes the change. */
export interface TerminalHistory {
  record(tx: Prisma.TransactionClient, changes: TerminalServiceChange[]): Promise<void>;
}

const STATUS_KIND: Record<string, TerminalServiceChange['kind'] | undefined> = {
  SUSPENDED: 'TERMINAL_SUSPENDED',
  RETIRED: 'TERMINAL_RETIRED',
  LOST: 'TERMINAL_LOST',
};

/** The history entry of a status change: leaving service, or coming back to it. */
export function statusKind(from: string, to: string): TerminalServiceChange['kind'] | null {
  if (from === to) return null;
  const out = STATUS_KIND[to];
  if (out) return out;
  return (to === 'ACTIVE' || to === 'PROVISIONED') && (from === 'SUSPENDED' || from === 'LOST') ? 'TERMINAL_RESUMED' : null;
}

export function createDeviceService(deps: { db: Db; audit: AuditService; credentials: CredentialStore; history?: TerminalHistory }) {
  const { db, audit, credentials, history } = deps;
  async function visible(ctx: Ctx, serial: string) {
    const row = await db.device.findFirst({ where: { AND: [{ serial }, deviceScopeWhere(ctx.actor)] }, include: { deviceModel: true } });
    if (!row) throw notFound('Device');
    return row;
  }

  /** Contractors provision only for contracts of end users they manage. */
  async function provisionableContract(actor: Principal, contractId: string) {
    const contract = await db.contract.findUnique({ where: { id: contractId }, include: { customer: true } });
    const mine =
      contract &&
      (isStaff(actor) ||
        (actor.role === 'CONTRACTOR' &&
          actor.customerId !== null &&
          (contract.contractorId === actor.customerId || contract.customer.contractorId === actor.customerId)));
    if (!contract || !mine) throw invalid('Unknown contract', [{ path: 'contractId', message: 'No such contract in your scope' }]);
    if (contract.status === 'TERMINATED') throw conflict('The contract is terminated');
    return contract;
  }

  return {
    visible,

    /** The terminal with the reporting interval it is expected to keep, and why, and the fields its charts may show. */
    async get(ctx: Ctx, serial: string) {
      const row = await visible(ctx, serial);
      return {
        ...deviceView(row),
        expectedInterval: await expectedIntervalOf(db, row.id),
        telemetryFields: [...NUMERIC_FIELDS[row.deviceModel.category]],
      };
    },

    /** Settings by staff or the terminal's contractor (the route checks the role, scope gives 404). */
    async updateSettings(ctx: Ctx, serial: string, input: DeviceSettingsPatch) {
      const before = await visible(ctx, serial);
      if (input.expectedIntervalSec !== undefined) {
        await db.$transaction(async (tx) => {
          await tx.device.update({ where: { id: before.id }, data: { intervalOverrideSec: input.expectedIntervalSec } });
          await audit.record(
            {
              actor: ctx.actor,
              requestId: ctx.requestId,
              action: 'device.settings-changed',
              entityType: 'device',
              entityId: before.id,
              before: { expectedIntervalSec: before.intervalOverrideSec },
              after: { expectedIntervalSec: input.expectedIntervalSec },
            },
            tx,
          );
        });
      }
      return { ...deviceView(before), expectedInterval: await expectedIntervalOf(db, before.id) };
    },

    /** The watchdog saw a vehicle's ignition go off (parked since then) or on (null). */
    async recordParked(deviceId: string, parkedSince: Date | null): Promise<void> {
      // Only a change is written, so a repeated report keeps the first parked instant.
      await db.device.updateMany({ where: { id: deviceId, parkedSince: parkedSince ? null : { not: null } }, data: { parkedSince } });
    },

    async list(ctx: Ctx, filter: DeviceFilter, q: { limit: number; cursor?: string | undefined }) {
      const after = q.cursor ? decodeSerialCursor(q.cursor) : undefined;
      const rows = await db.device.findMany({
        where: {
          AND: [
            deviceScopeWhere(ctx.actor),
            after ? { serial: { gt: after } } : {},
            {
              status: filter.status,
              customerId: filter.customerId,
              contractId: filter.contractId,
              online: filter.online,
              ...(filter.model ? { deviceModel: { code: filter.model } } : {}),
            },
          ],
        },
        include: { deviceModel: true },
        orderBy: { serial: 'asc' },
        take: q.limit + 1,
      });
      const more = rows.length > q.limit;
      const items = more ? rows.slice(0, q.limit) : rows;
      const last = items[items.length - 1];
      return { items: items.map(deviceView), nextCursor: more && last ? Buffer.from(last.serial).toString('base64url') : null };
    },

    async addToStock(ctx: Ctx, input: StockInput) {
      const model = await db.deviceModel.findUnique({ where: { code: input.model } });
      if (!model) throw invalid('Unknown device model', [{ path: 'model', message: `No device model ${input.model}` }]);
      if (await db.device.findUnique({ where: { serial: input.serial } })) throw conflict(`Serial ${input.serial} exists already`);
      const row = await db.$transaction(async (tx) => {
        const created = await tx.device.create({
          data: { serial: input.serial, deviceModelId: model.id, firmware: input.firmware ?? null },
          include: { deviceModel: true },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'device.stocked',
            entityType: 'device',
            entityId: created.id,
            after: deviceView(created),
          },
          tx,
        );
        return created;
      });
      return deviceView(row);
    },

    /** Returns the secret once; only its hash is kept. */
    async provision(ctx: Ctx, serial: string, input: ProvisionInput): Promise<{ serial: string; secret: string }> {
      const contract = await provisionableContract(ctx.actor, input.contractId);
      const before = await db.device.findUnique({ where: { serial }, include: { deviceModel: true } });
      // A contractor may provision units from stock, which belong to no customer yet.
      if (!before || (!isStaff(ctx.actor) && before.status !== 'IN_STOCK' && before.contractorId !== ctx.actor.customerId))
        throw notFound('Device');
      if (before.status !== 'IN_STOCK') throw conflict(`Device ${serial} is ${before.status}, not in stock`);
      const secret = newSecret();
      await db.$transaction(async (tx) => {
        const row = await tx.device.update({
          where: { id: before.id },
          data: {
            status: 'PROVISIONED',
            secretHash: hashSecret(secret),
            secretRotatedAt: new Date(),
            contractId: contract.id,
            customerId: contract.customerId,
            contractorId: contract.contractorId ?? contract.customer.contractorId,
            label: input.label ?? null,
            address: input.address ?? null,
            latitude: input.latitude ?? null,
            longitude: input.longitude ?? null,
            provisionedAt: new Date(),
          },
          include: { deviceModel: true },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'device.provisioned',
            entityType: 'device',
            entityId: row.id,
            before: deviceView(before),
            after: deviceView(row),
          },
          tx,
        );
        await history?.record(tx, [
          { contractId: contract.id, deviceId: row.id, kind: 'TERMINAL_PROVISIONED', at: row.provisionedAt ?? new Date() },
        ]);
      });
      await credentials.invalidate({ serials: [serial] });
      return { serial, secret };
    },

    /** A new secret; the old one stops working at once and connected sessions are dropped. */
    async rotateSecret(ctx: Ctx, serial: string): Promise<{ serial: string; secret: string }> {
      const before = await visible(ctx, serial);
      if (!before.contractId || ['IN_STOCK', 'RETIRED', 'LOST'].includes(before.status))
        throw conflict(`Device ${serial} is ${before.status}`);
      const secret = newSecret();
      await db.$transaction(async (tx) => {
        await tx.device.update({ where: { id: before.id }, data: { secretHash: hashSecret(secret), secretRotatedAt: new Date() } });
        await audit.record(
          { actor: ctx.actor, requestId: ctx.requestId, action: 'device.secret-rotated', entityType: 'device', entityId: before.id },
          tx,
        );
      });
      await credentials.invalidate({ serials: [serial] });
      return { serial, secret };
    },

    async setStatus(ctx: Ctx, serial: string, input: StatusChangeInput) {
      const before = await visible(ctx, serial);
      if (!isStaff(ctx.actor)) throw new AppError('not_found', 'Not found');
      if (before.status === 'IN_STOCK') throw conflict('Provision the device first');
      if (before.status === 'RETIRED') throw conflict('A retired device cannot change status');
      // Reactivating a suspended unit that never sent anything puts it back to PROVISIONED.
      const status = input.status === 'ACTIVE' && !before.activatedAt ? 'PROVISIONED' : input.status;
      const row = await db.$transaction(async (tx) => {
        const updated = await tx.device.update({ where: { id: before.id }, data: { status }, include: { deviceModel: true } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'device.status-changed',
            entityType: 'device',
            entityId: before.id,
            before: { status: before.status },
            after: { status, reason: input.reason ?? null },
          },
          tx,
        );
        const kind = statusKind(before.status, status);
        if (kind && before.contractId)
          await history?.record(tx, [{ contractId: before.contractId, deviceId: before.id, kind, reason: input.reason ?? null }]);
        return updated;
      });
      await credentials.invalidate({ serials: [serial] });
      return deviceView(row);
    },
  };
}

function decodeSerialCursor(cursor: string): string {
  const s = Buffer.from(cursor, 'base64url').toString();
  if (!/^[A-Z0-9-]{1,32}$/.test(s)) throw invalid('Invalid cursor', [{ path: 'cursor', message: 'Not a cursor returned by this API' }]);
  return s;
}

export type DeviceService = ReturnType<typeof createDeviceService>;
