// Bulk work on the inventory: CSV stock import, bulk provisioning with a per-row report,
// and swapping a faulty unit for one from stock while the contract and history stay.
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import type { AuditService } from '../src/audit/index.js';
import type { Ctx } from '../src/auth/index.js';
import { hashSecret, isStaff, newSecret } from '../src/auth/index.js';
import type { Db } from '../src/platform/database.js';
import { AppError, conflict, invalid, notFound } from '../src/platform/errors.js';
import type { CredentialStore } from './credentials.js';
import type { DeviceService, TerminalHistory } from './device.service.js';
import { deviceView } from './device.view.js';
import { provisionRow, type SwapInput, stockRow } from './inventory.schemas.js';

export interface RowResult {
  /** 1-based line in the file, counting the header as line 1. */
  line: number;
  serial: string | null;
  ok: boolean;
  error?: string;
  /** Bulk provisioning only: the terminal's secret, shown in this report only. */
  secret?: string;
}

const MAX_ROWS = 10_000;

/** Parses CSV with a header row; a file that is not CSV at all is one clear error, not a crash. */
function readCsv(text: string): Record<string, string>[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    });
  } catch (err) {
    throw invalid(`The file is not valid CSV: ${(err as Error).message}`, [{ path: 'csv', message: 'Not valid CSV' }]);
  }
  if (rows.length > MAX_ROWS) throw invalid(`At most ${MAX_ROWS} rows per file`, [{ path: 'csv', message: `${rows.length} rows` }]);
  return rows;
}

function rowError(err: unknown): string {
  if (err instanceof AppError) return [err.message, ...err.fieldErrors.map((f) => `${f.path}: ${f.message}`)].join('; ');
  throw err;
}

function parseRow<T extends z.ZodType>(schema: T, raw: Record<string, string>): z.infer<T> {
  // Empty cells mean "not given", so optional columns may be left blank.
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const r = schema.safeParse(cleaned);
  if (!r.success)
    throw invalid(
      'Invalid row',
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  return r.data;
}

export function createInventoryService(deps: {
  db: Db;
  audit: AuditService;
  devices: DeviceService;
  credentials: CredentialStore;
  history?: TerminalHistory;
}) {
  const { db, audit, devices, credentials, history } = deps;
  return {
    /** Adds each good row to stock; bad rows are reported and do not stop the others. */
    async importStock(ctx: Ctx, csv: string): Promise<{ created: number; failed: number; rows: RowResult[] }> {
      const rows = readCsv(csv);
      const results: RowResult[] = [];
      for (const [i, raw] of rows.entries()) {
        const line = i + 2;
        try {
          const row = parseRow(stockRow, raw);
          await devices.addToStock(ctx, row);
          results.push({ line, serial: row.serial, ok: true });
        } catch (err) {
          results.push({ line, serial: raw.serial ?? null, ok: false, error: rowError(err) });
        }
      }
      return summary(results);
    },

    /** Provisions each row to its contract (number or id); the report carries the secrets once. */
    async provisionBulk(ctx: Ctx, csv: string): Promise<{ created: number; failed: number; rows: RowResult[] }> {
      const rows = readCsv(csv);
      const contracts = new Map<string, string | null>();
      const results: RowResult[] = [];
      for (const [i, raw] of rows.entries()) {
        const line = i + 2;
        try {
          const { contract, serial, ...place } = parseRow(provisionRow, raw);
          if (!contracts.has(contract)) {
            const found = await db.contract.findFirst({
              where: /^[0-9a-f-]{36}$/i.test(contract) ? { id: contract } : { number: contract },
              select: { id: true },
            });
            contracts.set(contract, found?.id ?? null);
          }
          const contractId = contracts.get(contract);
          if (!contractId) throw invalid('Unknown contract', [{ path: 'contract', message: `No contract ${contract}` }]);
          const { secret } = await devices.provision(ctx, serial, { contractId, ...place });
          results.push({ line, serial, ok: true, secret });
        } catch (err) {
          results.push({ line, serial: raw.serial ?? null, ok: false, error: rowError(err) });
        }
      }
      return summary(results);
    },

    /**
     * Replaces a unit in the field: the new unit (from stock, same category) takes over the
     * contract, label and location and gets a fresh secret; the old one is retired (or lost)
     * and keeps its messages; `replacesId` links the two so the terminal's history can be followed.
     */
    async swap(ctx: Ctx, serial: string, input: SwapInput) {
      const old = await devices.visible(ctx, serial);
      if (!old.contractId || !['PROVISIONED', 'ACTIVE', 'SUSPENDED'].includes(old.status))
        throw conflict(`Device ${serial} is ${old.status}; only a unit in service can be swapped`);
      const replacement = await db.device.findUnique({ where: { serial: input.newSerial }, include: { deviceModel: true } });
      if (!replacement || (!isStaff(ctx.actor) && replacement.status !== 'IN_STOCK')) throw notFound('Replacement device');
      if (replacement.status !== 'IN_STOCK') throw conflict(`Device ${input.newSerial} is ${replacement.status}, not in stock`);
      if (replacement.deviceModel.category !== old.deviceModel.category) {
        throw invalid('The replacement must be of the same category', [
          { path: 'newSerial', message: `${replacement.deviceModel.category}, not ${old.deviceModel.category}` },
        ]);
      }
      const secret = newSecret();
      const now = new Date();
      const after = await db.$transaction(async (tx) => {
        // Conditional: two swaps of the same unit at once cannot both win.
        const retired = await tx.device.updateMany({
          where: { id: old.id, status: old.status },
          data: { status: input.oldStatus, secretHash: null, online: false },
        });
        if (retired.count !== 1) throw conflict('The device changed meanwhile; reload and retry');
        const taken = await tx.device.updateMany({
          where: { id: replacement.id, status: 'IN_STOCK' },
          data: {
            status: 'PROVISIONED',
            secretHash: hashSecret(secret),
            secretRotatedAt: now,
            contractId: old.contractId,
            customerId: old.customerId,
            contractorId: old.contractorId,
            label: old.label,
            address: old.address,
            latitude: old.latitude,
            longitude: old.longitude,
            provisionedAt: now,
            replacesId: old.id,
          },
        });
        if (taken.count !== 1) throw conflict(`Device ${input.newSerial} left stock meanwhile`);
        const row = await tx.device.findUniqueOrThrow({ where: { id: replacement.id }, include: { deviceModel: true } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'device.swapped-out',
            entityType: 'device',
            entityId: old.id,
            before: { status: old.status },
            after: { status: input.oldStatus, replacedBy: row.serial, reason: input.reason ?? null },
          },
          tx,
        );
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'device.swapped-in',
            entityType: 'device',
            entityId: row.id,
            before: { status: 'IN_STOCK' },
            after: { ...deviceView(row), replaces: old.serial },
          },
          tx,
        );
        // The service continues on the new unit from the swap: the old one stops, the new one starts.
        const reason = `${old.serial} ${input.oldStatus.toLowerCase()}, replaced by ${row.serial}${input.reason ? `: ${input.reason}` : ''}`;
        await history?.record(tx, [
          { contractId: old.contractId!, deviceId: old.id, kind: 'TERMINAL_SWAPPED_OUT', at: now, reason },
          { contractId: old.contractId!, deviceId: row.id, kind: 'TERMINAL_SWAPPED_IN', at: now, reason },
        ]);
        return row;
      });
      await credentials.invalidate({ serials: [serial, input.newSerial] });
      return { retired: { serial, status: input.oldStatus }, device: deviceView(after), secret };
    },
  };
}

function summary(rows: RowResult[]) {
  const created = rows.filter((r) => r.ok).length;
  return { created, failed: rows.length - created, rows };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
