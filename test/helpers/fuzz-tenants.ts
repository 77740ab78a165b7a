// Tenants for the security fuzz: a contractor with an end user and everything such a pair owns
// (contact, contract, terminal, ticket, invoice, payment, order, webhook endpoint, users, an API
// key), so a fuzzed request can aim at another tenant's records by their real identifiers.
import { randomBytes } from 'node:crypto';
import type { Services } from '../../src/app/container.js';
import { hashSecret, newSecret, type Role } from '../../src/auth/index.js';
import { adminCtx, ensureModel, newSerial } from './terminals.js';

export interface Tenant {
  label: string;
  contractorId: string;
  endUserId: string;
  /** uuids of the tenant's records, users and keys included. */
  ids: string[];
  serials: string[];
  /** A unit in the operator's stock: no tenant's yet, any contractor may provision or swap it in. */
  stockSerial: string;
  /** Names, numbers, e-mail addresses and references that only this tenant's records carry. */
  texts: string[];
  /** Users (not the fuzz's own principals) that staff requests may change. */
  userIds: string[];
}

export const FUZZ_PASSWORD = 'correct-horse-battery';

/** One tenant; `label` makes its names unmistakable in a response body. */
export async function seedTenant(s: Services, label: string): Promise<Tenant> {
  const tag = `${label}${randomBytes(3).toString('hex')}`;
  const db = s.db;
  const { actor } = await adminCtx(s);
  const model = await ensureModel(s, 'NXV-100');
  const plan = await db.tariffPlan.upsert({
    where: { code_version: { code: 'FUZZ', version: 1 } },
    create: { code: 'FUZZ', name: 'Fuzz plan', monthlyRentalMinor: 1000n },
    update: {},
  });
  const contractor = await db.customer.create({
    data: { kind: 'CONTRACTOR', name: `${tag} Contracting`, email: `office@${tag.toLowerCase()}.example`, commissionRateBp: 500 },
  });
  const endUser = await db.customer.create({
    data: {
      kind: 'END_USER',
      name: `${tag} Fleet Holdings`,
      email: `fleet@${tag.toLowerCase()}.example`,
      contractorId: contractor.id,
      taxId: `TAX${tag}`,
    },
  });
  const contact = await db.contact.create({
    data: { customerId: endUser.id, name: `${tag} Dispatcher`, email: `dispatch@${tag.toLowerCase()}.example` },
  });
  const contract = await db.contract.create({
    data: {
      number: `C-${tag.toUpperCase()}`,
      customerId: endUser.id,
      contractorId: contractor.id,
      tariffPlanId: plan.id,
      startDate: new Date('2026-01-01T00:00:00Z'),
    },
  });
  const serial = newSerial('NXV');
  await s.devices.addToStock({ actor }, { serial, model: model.code });
  await s.devices.provision({ actor }, serial, { contractId: contract.id, label: `${tag} truck` });
  const device = await db.device.findUniqueOrThrow({ where: { serial } });
  const stock = newSerial('NXV');
  await s.devices.addToStock({ actor }, { serial: stock, model: model.code });
  const ticket = await db.ticket.create({
    data: { kind: 'GENERAL', source: 'CUSTOMER', subject: `${tag} gate unit silent`, customerId: endUser.id, deviceId: device.id },
  });
  const invoice = await db.invoice.create({
    data: {
      number: `INV-${tag.toUpperCase()}`,
      contractId: contract.id,
      customerId: endUser.id,
      period: '2026-10',
      status: 'ISSUED',
      subtotalMinor: 1000n,
      totalMinor: 1000n,
      issuedAt: new Date('2026-11-01T00:00:00Z'),
      dueAt: new Date('2026-11-30T00:00:00Z'),
    },
  });
  const payment = await db.payment.create({
    data: {
      reference: `PAY-${tag.toUpperCase()}`,
      customerId: endUser.id,
      amountMinor: 500n,
      allocations: { create: { invoiceId: invoice.id, amountMinor: 500n } },
    },
  });
  const order = await db.order.create({
    data: {
      number: `O-${tag.toUpperCase()}`,
      customerId: endUser.id,
      contractId: contract.id,
      kind: 'RENT',
      deviceModelId: model.id,
      quantity: 2,
    },
  });
  const endpoint = await s.webhooks.endpoints.create(
    { actor },
    { customerId: endUser.id, url: `http://127.0.0.1:9/${tag}`, eventTypes: [], enabled: true, maxConcurrency: 4 },
  );
  const users = await Promise.all(
    (['CONTRACTOR', 'CUSTOMER'] as Role[]).map((role) =>
      s.auth.createUser(null, {
        email: `${role.toLowerCase()}@${tag.toLowerCase()}.example`,
        name: `${tag} ${role.toLowerCase()}`,
        role,
        password: FUZZ_PASSWORD,
        customerId: role === 'CONTRACTOR' ? contractor.id : endUser.id,
      }),
    ),
  );
  const key = await db.apiKey.create({
    data: {
      name: `${tag} erp`,
      prefix: 'nxk_fuzz',
      keyHash: hashSecret(newSecret('nxk_')),
      userId: users[1]!.id,
      scopes: ['crm:read'],
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  return {
    label: tag,
    contractorId: contractor.id,
    endUserId: endUser.id,
    ids: [
      contractor.id,
      endUser.id,
      contact.id,
      contract.id,
      device.id,
      ticket.id,
      invoice.id,
      payment.id,
      order.id,
      endpoint.id,
      key.id,
      ...users.map((u) => u.id),
    ],
    serials: [serial],
    stockSerial: stock,
    texts: [
      contractor.name,
      endUser.name,
      contact.name,
      contract.number,
      invoice.number!,
      payment.reference,
      order.number,
      `TAX${tag}`,
      `${tag} truck`,
      ticket.subject,
      `${tag.toLowerCase()}.example`,
    ],
    userIds: users.map((u) => u.id),
  };
}

/** A fresh session of a user, made without the login route (the fuzz may have locked it for this address). */
export async function mintSession(s: Services, userId: string): Promise<string> {
  const token = newSecret('nxs_');
  await s.db.session.create({ data: { tokenHash: hashSecret(token), userId, expiresAt: new Date(Date.now() + 3600_000) } });
  return token;
}
