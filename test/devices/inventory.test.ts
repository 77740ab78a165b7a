import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../helpers/api.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { adminCtx, connackCode, createContract, ensureModel, newSerial } from '../helpers/terminals.js';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem('all');
  await ensureModel(sys.services, 'NXV-100');
  await ensureModel(sys.services, 'NXL-300');
});
afterAll(async () => {
  await sys?.stop();
});

type Report = {
  created: number;
  failed: number;
  rows: { line: number; serial: string | null; ok: boolean; error?: string; secret?: string }[];
};

describe('inventory: CSV import, bulk provisioning and swaps', () => {
  it('imports good stock rows, reports each bad row with its line and keeps going', async () => {
    const ops = await loginAs(sys.services, sys.app!, 'OPS');
    const [a, b] = [newSerial('NXV'), newSerial('NXV')];
    const csv = [
      'serial,model,firmware',
      `${a},NXV-100,1.2.0`,
      'bad serial!,NXV-100,',
      `${b},NXV-100,`,
      `${newSerial('NXV')},NOPE-1,`,
      `${a},NXV-100,`,
    ].join('\n');
    const res = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/devices/import',
      headers: { ...ops.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode).toBe(200);
    const report = res.json() as Report;
    expect(report).toMatchObject({ created: 2, failed: 3 });
    expect(report.rows.filter((r) => !r.ok).map((r) => r.line)).toEqual([3, 5, 6]);
    expect(report.rows.find((r) => r.line === 5)!.error).toContain('No device model NOPE-1');
    expect(report.rows.find((r) => r.line === 6)!.error).toContain('exists already');
    const stocked = await sys.services.db.device.findMany({ where: { serial: { in: [a, b] } } });
    expect(stocked.map((d) => d.status)).toEqual(['IN_STOCK', 'IN_STOCK']);

    const garbage = await sys.app!.inject({
      method: 'POST',
      url: '/api/v1/devices/import',
      headers: ops.headers,
      payload: { csv: 'serial,model\n"unterminated,NXV-100' },
    });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().detail).toContain('not valid CSV');
  });

  it('provisions in bulk for a contractor, only to its own contracts, and the secrets work on the network', async () => {
    const mine = await createContract(sys.services);
    const other = await createContract(sys.services);
    const contractor = await loginAs(sys.services, sys.app!, 'CONTRACTOR', mine.contractor.id);
    const ctx = await adminCtx(sys.services);
    const serials = [newSerial('NXL'), newSerial('NXL'), newSerial('NXL')];
    for (const serial of serials) await sys.services.devices.addToStock(ctx, { serial, model: 'NXL-300' });
    const csv = [
      'serial,contract,label,latitude,longitude',
      `${serials[0]},${mine.contract.number},Pole 1,23.1291,113.2644`,
      `${serials[1]},${other.contract.number},Pole 2,,`,
      `${serials[2]},${mine.contract.id},Pole 3,91,0`,
    ].join('\n');
    const report = (
      await sys.app!.inject({ method: 'POST', url: '/api/v1/devices/provision-bulk', headers: contractor.headers, payload: { csv } })
    ).json() as Report;
    expect(report.created).toBe(1);
    expect(report.rows[1]).toMatchObject({ ok: false, error: expect.stringContaining('No such contract in your scope') });
    expect(report.rows[2]).toMatchObject({ ok: false, error: expect.stringContaining('latitude') });
    const ok = report.rows[0]!;
    expect(await connackCode(sys.mqttPort!, ok.serial!, ok.secret!)).toBe(0);
    expect(await sys.services.db.device.findUniqueOrThrow({ where: { serial: serials[1]! } })).toMatchObject({ status: 'IN_STOCK' });
  });

  it('swaps a faulty unit: the new one takes the contract and location, the old secret stops working', async () => {
    const { contract, contractor } = await createContract(sys.services);
    const ctx = await adminCtx(sys.services);
    const [oldSerial, newSerialNo, lampSerial] = [newSerial('NXV'), newSerial('NXV'), newSerial('NXL')];
    for (const [serial, model] of [
      [oldSerial, 'NXV-100'],
      [newSerialNo, 'NXV-100'],
      [lampSerial, 'NXL-300'],
    ] as const)
      await sys.services.devices.addToStock(ctx, { serial, model });
    const old = await sys.services.devices.provision(ctx, oldSerial, {
      contractId: contract.id,
      label: 'Truck 7',
      latitude: 31.2,
      longitude: 121.5,
    });
    expect(await connackCode(sys.mqttPort!, oldSerial, old.secret)).toBe(0);

    const user = await loginAs(sys.services, sys.app!, 'CONTRACTOR', contractor.id);
    const wrongKind = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/devices/${oldSerial}/swap`,
      headers: user.headers,
      payload: { newSerial: lampSerial },
    });
    expect(wrongKind.statusCode).toBe(400);

    const res = await sys.app!.inject({
      method: 'POST',
      url: `/api/v1/devices/${oldSerial}/swap`,
      headers: user.headers,
      payload: { newSerial: newSerialNo, reason: 'GPS antenna broken' },
    });
    expect(res.statusCode).toBe(200);
    const swapped = res.json() as {
      device: { serial: string; label: string; latitude: number; contractId: string };
      secret: string;
      retired: { status: string };
    };
    expect(swapped.device).toMatchObject({ serial: newSerialNo, label: 'Truck 7', latitude: 31.2, contractId: contract.id });
    expect(swapped.retired.status).toBe('RETIRED');

    expect(await connackCode(sys.mqttPort!, newSerialNo, swapped.secret)).toBe(0);
    expect(await connackCode(sys.mqttPort!, oldSerial, old.secret)).not.toBe(0);
    const row = await sys.services.db.device.findUniqueOrThrow({ where: { serial: newSerialNo }, include: { replaces: true } });
    expect(row.replaces?.serial).toBe(oldSerial);

    const stranger = await createContract(sys.services);
    const other = await loginAs(sys.services, sys.app!, 'CONTRACTOR', stranger.contractor.id);
    expect(
      (
        await sys.app!.inject({
          method: 'POST',
          url: `/api/v1/devices/${newSerialNo}/swap`,
          headers: other.headers,
          payload: { newSerial: lampSerial },
        })
      ).statusCode,
    ).toBe(404);
  });
});
