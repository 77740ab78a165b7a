import { randomBytes } from 'node:crypto';
import type { Services } from '../../src/app/container.js';

/** Polls until `fn` returns a truthy value (or throws after `ms`). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, ms = 20_000, every = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A contractor with one end user, created directly in the database. */
export async function makeCustomers(s: Services, name: string) {
  const contractor = await s.db.customer.create({ data: { kind: 'CONTRACTOR', name: `${name} contractor` } });
  const endUser = await s.db.customer.create({ data: { kind: 'END_USER', name: `${name} end user`, contractorId: contractor.id } });
  return { contractor, endUser };
}

/** A fast-reporting device model: silent after 1 s x 2 = 2 s. */
export async function makeFastModel(s: Services, faultTable: object[] = []) {
  return s.db.deviceModel.create({
    data: {
      code: `NXE-T${randomBytes(3).toString('hex').toUpperCase()}`,
      name: 'Test elevator monitor',
      category: 'ELEVATOR',
      codec: 'nx-elevator-v1',
      expectedIntervalSec: 1,
      silenceFactor: 2,
      faultTable,
    },
  });
}

let counter = 0;
/** Active terminals of one end user, created directly in the database. */
export async function makeDevices(s: Services, modelId: string, owner: { endUser: { id: string }; contractor: { id: string } }, n: number) {
  const tag = randomBytes(2).toString('hex').toUpperCase();
  const data = Array.from({ length: n }, () => ({
    serial: `NXE-${tag}${String(++counter).padStart(4, '0')}`,
    deviceModelId: modelId,
    status: 'ACTIVE' as const,
    customerId: owner.endUser.id,
    contractorId: owner.contractor.id,
    label: null,
  }));
  await s.db.device.createMany({ data });
  return s.db.device.findMany({ where: { serial: { in: data.map((d) => d.serial) } }, orderBy: { serial: 'asc' } });
}
