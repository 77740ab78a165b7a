// Seeds N provisioned terminals straight into a database (no API), for the crash test and
// the gateway benchmark where the gateway runs in another process.

import { hashSecret, newSecret } from '../../src/auth/index.js';
import type { Db } from '../../src/platform/database.js';

export async function seedTerminals(
  db: Db,
  n: number,
  prefix = 'NXE-LOAD',
  category: 'ELEVATOR' | 'VEHICLE' = 'ELEVATOR',
): Promise<{ serial: string; secret: string }[]> {
  const model = await db.deviceModel.create({
    data: {
      code: `${prefix}-M`,
      name: prefix,
      category,
      codec: category.toLowerCase(),
      expectedIntervalSec: 60,
      rateLimitBurst: 1_000_000,
      rateLimitPerMinute: 60_000_000,
    },
  });
  const customer = await db.customer.create({ data: { kind: 'END_USER', name: prefix } });
  const plan = await db.tariffPlan.create({ data: { code: prefix, name: prefix, monthlyRentalMinor: 0n } });
  const contract = await db.contract.create({
    data: { number: `C-${prefix}`, customerId: customer.id, tariffPlanId: plan.id, startDate: new Date() },
  });
  const terminals = Array.from({ length: n }, (_, i) => ({ serial: `${prefix}${String(i).padStart(5, '0')}`, secret: newSecret() }));
  await db.device.createMany({
    data: terminals.map((t) => ({
      serial: t.serial,
      deviceModelId: model.id,
      status: 'PROVISIONED' as const,
      secretHash: hashSecret(t.secret),
      contractId: contract.id,
      customerId: customer.id,
    })),
  });
  return terminals;
}
