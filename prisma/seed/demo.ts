import type { Services } from '../../src/app/container.js';
import type { System } from '../../src/app/system.js';
import type { Role } from '../../src/auth/index.js';
import { hashPassword, passwordWeakness } from '../../src/auth/index.js';
import { STANDARD_DEVICE_MODELS } from './device-models.js';

export interface DemoUser {
  email: string;
  password: string;
  role: Role;
}

export interface DemoData {
  users: DemoUser[];
  created: boolean;
}

const STAFF: Role[] = ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE', 'SALES'];

/**
 * Demo data for `npm start`: idempotent (keyed on e-mails, codes and numbers), so restarts
 * keep what people changed. Demo passwords are fixed and printed: this is a demo, not production.
 */
export async function seedDemo(services: Services): Promise<DemoData> {
  const { db } = services;
  if (services.config.NODE_ENV === 'production') throw new Error('demo data is never created with NODE_ENV=production');
  const users: DemoUser[] = [];
  const existing = await db.user.count({ where: { email: { endsWith: '@demo.nexsphere' } } });

  for (const m of STANDARD_DEVICE_MODELS) {
    await db.deviceModel.upsert({ where: { code: m.code }, update: {}, create: m });
  }

  const plans = [
    {
      code: 'FLEET-BASIC',
      name: 'Fleet basic',
      monthlyRentalMinor: 3000n,
      includedMessages: 2000,
      downlinkPriceMicros: 20_000n,
      activationFeeMinor: 5000n,
      tiers: [
        [0n, 10_000n, 8_000n],
        [10_000n, null, 5_000n],
      ] as const,
    },
    {
      code: 'BUILDING-CARE',
      name: 'Building care',
      monthlyRentalMinor: 4500n,
      includedMessages: 1000,
      downlinkPriceMicros: 10_000n,
      activationFeeMinor: 8000n,
      tiers: [
        [0n, 5_000n, 10_000n],
        [5_000n, null, 6_000n],
      ] as const,
    },
    {
      code: 'CITY-LIGHT',
      name: 'City lighting',
      monthlyRentalMinor: 1500n,
      includedMessages: 300,
      downlinkPriceMicros: 5_000n,
      activationFeeMinor: 2000n,
      tiers: [[0n, null, 4_000n]] as const,
    },
  ];
  const planIds: Record<string, string> = {};
  for (const p of plans) {
    const { tiers, ...data } = p;
    const plan = await db.tariffPlan.upsert({
      where: { code_version: { code: p.code, version: 1 } },
      update: {},
      create: { ...data, tiers: { create: tiers.map(([fromUnit, toUnit, unitPriceMicros]) => ({ fromUnit, toUnit, unitPriceMicros })) } },
    });
    planIds[p.code] = plan.id;
  }

  const contractors = [
    { name: 'Huadong Telematics Services', email: 'ops@huadong-telematics.example', commissionRateBp: 800 },
    { name: 'Pearl River Installations', email: 'service@pearlriver-install.example', commissionRateBp: 650 },
  ];
  const endUsers = [
    { name: 'Shanghai Cold Chain Logistics', contractor: 0, plan: 'FLEET-BASIC', tier: 'GOLD' as const, segment: 'logistics' },
    { name: 'Lujiazui Tower Management', contractor: 0, plan: 'BUILDING-CARE', tier: 'PLATINUM' as const, segment: 'real estate' },
    { name: 'Guangzhou Municipal Lighting', contractor: 1, plan: 'CITY-LIGHT', tier: 'SILVER' as const, segment: 'public sector' },
    { name: 'Shenzhen Express Couriers', contractor: 1, plan: 'FLEET-BASIC', tier: 'STANDARD' as const, segment: 'logistics' },
  ];

  const contractorIds: string[] = [];
  for (const c of contractors) {
    const found = await db.customer.findFirst({ where: { name: c.name, kind: 'CONTRACTOR' } });
    contractorIds.push((found ?? (await db.customer.create({ data: { ...c, kind: 'CONTRACTOR', tier: 'GOLD' } }))).id);
  }
  const endUserIds: string[] = [];
  for (const [i, e] of endUsers.entries()) {
    const contractorId = contractorIds[e.contractor]!;
    let customer = await db.customer.findFirst({ where: { name: e.name, kind: 'END_USER' } });
    customer ??= await db.customer.create({
      data: { name: e.name, kind: 'END_USER', tier: e.tier, segment: e.segment, contractorId, email: `it@customer${i + 1}.example` },
    });
    endUserIds.push(customer.id);
    const number = `C-2026-${String(i + 1).padStart(6, '0')}`;
    await db.contract.upsert({
      where: { number },
      update: {},
      create: {
        number,
        customerId: customer.id,
        contractorId,
        tariffPlanId: planIds[e.plan]!,
        startDate: new Date('2026-01-01T00:00:00Z'),
      },
    });
  }

  const accounts: { role: Role; customerId: string | null; slug: string }[] = [
    ...STAFF.map((role) => ({ role, customerId: null, slug: role.toLowerCase() })),
    { role: 'CONTRACTOR', customerId: contractorIds[0]!, slug: 'contractor' },
    { role: 'CONTRACTOR', customerId: contractorIds[1]!, slug: 'contractor2' },
    { role: 'CUSTOMER', customerId: endUserIds[0]!, slug: 'customer' },
  ];
  for (const a of accounts) {
    const email = `${a.slug}@demo.nexsphere`;
    const password = `nexsphere-${a.slug}`;
    // Demo users sign in through the same login as everyone, so their passwords must pass the policy.
    const weakness = passwordWeakness(password, email);
    if (weakness) throw new Error(`demo password for ${email} fails the password policy: ${weakness}`);
    users.push({ email, password, role: a.role });
    const found = await db.user.findUnique({ where: { email } });
    if (!found) {
      await db.user.create({
        data: { email, name: `Demo ${a.slug}`, role: a.role, customerId: a.customerId, passwordHash: await hashPassword(password) },
      });
    }
  }
  return { users, created: existing === 0 };
}

export function printDemoBanner(data: DemoData, system: System): void {
  const lines = [
    '',
    'Nexsphere platform is running (demo mode).',
    system.httpUrl ? `  Web console: ${system.httpUrl}/   (sign in with a demo user below)` : '',
    system.httpUrl ? `  API: ${system.httpUrl}/api/v1   docs: ${system.httpUrl}/docs   OpenAPI: ${system.httpUrl}/openapi.json` : '',
    ...system.endpoints.map((e) => `  ${e}`),
    '  Demo users (e-mail / password):',
    ...data.users.map((u) => `    ${u.role.padEnd(10)} ${u.email.padEnd(28)} ${u.password}`),
    '',
  ];
  // The banner is for the person at the terminal, so it goes to stdout unformatted.
  process.stdout.write(`${lines.filter((l) => l !== '').join('\n')}\n`);
}
