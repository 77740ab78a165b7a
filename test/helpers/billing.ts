import { randomBytes } from 'node:crypto';
import { unitsFor } from '../../billing/rating.js';
import type { Services } from '../../src/app/container.js';

const uid = () => randomBytes(4).toString('hex');

/** The oracle tariff of billing/rating.test.ts, as database rows. */
export async function createOracleTariff(s: Services) {
  return s.db.tariffPlan.create({
    data: {
      code: `ORACLE-${uid()}`,
      name: 'Oracle plan',
      monthlyRentalMinor: 2990n,
      activationFeeMinor: 5000n,
      includedMessages: 1000,
      segmentBytes: 64,
      downlinkPriceMicros: 33_300n,
      taxRateBp: 600,
      validFrom: new Date('2026-01-01T00:00:00Z'),
      tiers: {
        create: [
          { fromUnit: 0n, toUnit: 2000n, unitPriceMicros: 12_000n },
          { fromUnit: 2000n, toUnit: null, unitPriceMicros: 8_500n },
        ],
      },
    },
  });
}

export async function createCustomer(
  s: Services,
  data: {
    name: string;
    kind?: 'END_USER' | 'CONTRACTOR';
    contractorId?: string | null;
    commissionRateBp?: number | null;
    paymentTermsDays?: number;
  },
) {
  return s.db.customer.create({
    data: {
      kind: data.kind ?? 'END_USER',
      name: data.name,
      contractorId: data.contractorId ?? null,
      commissionRateBp: data.commissionRateBp ?? null,
      paymentTermsDays: data.paymentTermsDays ?? 30,
    },
  });
}

export async function createContract(
  s: Services,
  data: { customerId: string; contractorId?: string | null; tariffPlanId: string; startDate?: Date },
) {
  return s.db.contract.create({
    data: {
      number: `C-TEST-${uid()}`,
      customerId: data.customerId,
      contractorId: data.contractorId ?? null,
      tariffPlanId: data.tariffPlanId,
      status: 'ACTIVE',
      startDate: data.startDate ?? new Date('2026-06-01T00:00:00Z'),
    },
  });
}

let model: string | null = null;
export async function createTerminal(
  s: Services,
  contract: { id: string; customerId: string; contractorId: string | null },
  serial: string,
  activatedAt: Date,
) {
  if (!model) {
    const m = await s.db.deviceModel.upsert({
      where: { code: 'NXV-BILL' },
      update: {},
      create: { code: 'NXV-BILL', name: 'Billing test vehicle unit', category: 'VEHICLE', codec: 'vehicle-v1', expectedIntervalSec: 60 },
    });
    model = m.id;
  }
  return s.db.device.create({
    data: {
      serial: `${serial}-${uid()}`,
      deviceModelId: model,
      status: 'ACTIVE',
      contractId: contract.id,
      customerId: contract.customerId,
      contractorId: contract.contractorId,
      activatedAt,
    },
  });
}

/** A day's counter as ingest would leave it: `messages` uplinks of `bytes` each, segmented. */
export async function addUsage(
  s: Services,
  device: { id: string; contractId: string | null },
  day: string,
  messages: number,
  bytes: number,
  downMessages = 0,
) {
  const units = messages * unitsFor(bytes, 64);
  await s.db.usageCounter.upsert({
    where: { deviceId_contractId_day: { deviceId: device.id, contractId: device.contractId!, day: new Date(`${day}T00:00:00Z`) } },
    create: {
      deviceId: device.id,
      contractId: device.contractId!,
      day: new Date(`${day}T00:00:00Z`),
      upMessages: messages,
      upBytes: BigInt(messages * bytes),
      upUnits: units,
      downMessages,
    },
    update: {
      upMessages: { increment: messages },
      upBytes: { increment: BigInt(messages * bytes) },
      upUnits: { increment: units },
      downMessages: { increment: downMessages },
    },
  });
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
