import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, createContract, ensureModel, newSerial } from '../helpers/terminals.js';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem('api');
});
afterAll(async () => {
  await sys?.stop();
});

describe('orders for terminals', () => {
  it("fulfils an order from stock in steps, handing out each terminal's secret once", async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    const { customer, contract } = await createContract(sys.services);
    await ensureModel(sys.services, 'NXL-300');
    const ctx = await adminCtx(sys.services);
    const stock = [newSerial('NXL'), newSerial('NXL')];
    for (const serial of stock) await sys.services.devices.addToStock(ctx, { serial, model: 'NXL-300' });

    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: sales.headers,
      payload: { customerId: customer.id, contractId: contract.id, kind: 'RENT', model: 'NXL-300', quantity: 3, unitPriceMinor: 1500 },
    });
    expect(created.statusCode).toBe(201);
    const order = created.json() as { id: string; number: string; totalMinor: number; status: string };
    expect(order).toMatchObject({ status: 'NEW', totalMinor: 4500 });

    const early = await app.inject({ method: 'POST', url: `/api/v1/orders/${order.id}/fulfil`, headers: sales.headers, payload: {} });
    expect(early.statusCode).toBe(409);
    await app.inject({ method: 'POST', url: `/api/v1/orders/${order.id}/confirm`, headers: sales.headers, payload: {} });

    const first = (
      await app.inject({ method: 'POST', url: `/api/v1/orders/${order.id}/fulfil`, headers: sales.headers, payload: {} })
    ).json() as { order: { status: string; allocated: number }; terminals: { serial: string; secret: string }[]; missing: number };
    expect(first.order).toMatchObject({ status: 'CONFIRMED', allocated: 2 });
    expect(first.missing).toBe(1);
    expect(first.terminals.map((t) => t.serial).sort()).toEqual([...stock].sort());
    expect(first.terminals.every((t) => t.secret.length >= 43)).toBe(true);

    const devices = await sys.services.db.device.findMany({ where: { serial: { in: stock } } });
    expect(devices.every((d) => d.status === 'PROVISIONED' && d.contractId === contract.id && d.customerId === customer.id)).toBe(true);

    const more = newSerial('NXL');
    await sys.services.devices.addToStock(ctx, { serial: more, model: 'NXL-300' });
    const second = (
      await app.inject({ method: 'POST', url: `/api/v1/orders/${order.id}/fulfil`, headers: sales.headers, payload: {} })
    ).json() as { order: { status: string; allocated: number }; terminals: { serial: string }[] };
    expect(second.order).toMatchObject({ status: 'FULFILLED', allocated: 3 });
    expect(second.terminals.map((t) => t.serial)).toEqual([more]);

    const timeline = (await app.inject({ url: `/api/v1/customers/${customer.id}/timeline`, headers: sales.headers })).json() as {
      items: { kind: string }[];
    };
    expect(timeline.items.filter((e) => e.kind === 'device.provisioned')).toHaveLength(3);
    expect(timeline.items.map((e) => e.kind)).toContain('order.created');
  });

  it('shows an end user its own orders only', async () => {
    const app = sys.app!;
    const sales = await loginAs(sys.services, app, 'SALES');
    await ensureModel(sys.services, 'NXV-100');
    const a = await createContract(sys.services);
    const b = await createContract(sys.services);
    const orderOf = async (customerId: string) =>
      (
        (
          await app.inject({
            method: 'POST',
            url: '/api/v1/orders',
            headers: sales.headers,
            payload: { customerId, kind: 'BUY', model: 'NXV-100', quantity: 1 },
          })
        ).json() as { id: string }
      ).id;
    const mine = await orderOf(a.customer.id);
    const theirs = await orderOf(b.customer.id);
    const user = await loginAs(sys.services, app, 'CUSTOMER', a.customer.id);
    const list = (await app.inject({ url: '/api/v1/orders', headers: user.headers })).json() as { items: { id: string }[] };
    expect(list.items.map((o) => o.id)).toEqual([mine]);
    expect((await app.inject({ url: `/api/v1/orders/${theirs}`, headers: user.headers })).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'POST', url: `/api/v1/orders/${mine}/cancel`, headers: user.headers, payload: {} })).statusCode,
    ).toBe(403);
  });
});
