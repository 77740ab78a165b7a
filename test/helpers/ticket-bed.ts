// The set-up shared by the ticket test files: two contractors each with an end user, one
// terminal of end user A, and logins for the service desk, both contractors and customer A.
import type { LightMyRequestResponse } from 'fastify';
import { loginAs } from './api.js';
import { makeCustomers, makeDevices, makeFastModel } from './health-fixtures.js';
import { startTestSystem, type TestSystem } from './system.js';

export type Login = Awaited<ReturnType<typeof loginAs>>;

export interface TicketBed {
  sys: TestSystem;
  a: Awaited<ReturnType<typeof makeCustomers>>;
  b: Awaited<ReturnType<typeof makeCustomers>>;
  serialA: string;
  desk: Login;
  contractorA: Login;
  contractorB: Login;
  customerA: Login;
  call(as: Login, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object): Promise<LightMyRequestResponse>;
}

export async function startTicketBed(): Promise<TicketBed> {
  const sys = await startTestSystem('api');
  const s = sys.services;
  const a = await makeCustomers(s, 'A');
  const b = await makeCustomers(s, 'B');
  const model = await makeFastModel(s);
  const serialA = (await makeDevices(s, model.id, a, 1))[0]!.serial;
  return {
    sys,
    a,
    b,
    serialA,
    desk: await loginAs(s, sys.app!, 'SERVICE'),
    contractorA: await loginAs(s, sys.app!, 'CONTRACTOR', a.contractor.id),
    contractorB: await loginAs(s, sys.app!, 'CONTRACTOR', b.contractor.id),
    customerA: await loginAs(s, sys.app!, 'CUSTOMER', a.endUser.id),
    call: (as, method, url, payload) =>
      sys.app!.inject({ method, url: `/api/v1${url}`, headers: as.headers, ...(payload ? { payload } : {}) }),
  };
}
