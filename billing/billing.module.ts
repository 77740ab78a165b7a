// Wires billing's services once; adapters (routes, workers) use what this returns.
import type { Redis } from 'ioredis';
import type { AuditService } from '../src/audit/index.js';
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';
import type { Queues } from '../src/platform/queues.js';
import { createAgingService } from './aging.service.js';
import { createBankStatementService } from './bank-statement.service.js';
import { createBillingFlow } from './billing-run.jobs.js';
import { createBillingRunService } from './billing-run.service.js';
import { createCommissionService } from './commission.service.js';
import { createCreditApplier } from './credit-application.js';
import { createCustomerAccountService } from './customer-account.service.js';
import { type ContractStatusOwner, createDunningService } from './dunning.service.js';
import { createInvoiceService } from './invoice.service.js';
import { createInvoiceIssuer, type EventEmitter } from './invoice-issuer.js';
import { createOneOffChargeService } from './one-off-charge.service.js';
import { createPaymentService } from './payment.service.js';

export interface BillingModuleDeps {
  db: Db;
  redis: Redis;
  /** REDIS_PREFIX: billing keeps live run counters under it. */
  prefix: string;
  audit: AuditService;
  events: EventEmitter;
  /** Dunning suspends and reactivates contracts through their owner, the CRM contract service. */
  contracts: ContractStatusOwner;
  queues: Queues;
  log: Logger;
  timeZone: string;
  dunningReminderDays: number[];
  dunningSuspendDays: number;
}

export function createBillingModule(d: BillingModuleDeps) {
  const flow = createBillingFlow(d.queues);
  const credit = createCreditApplier({ db: d.db, events: d.events, log: d.log.child({ component: 'credit' }) });
  const issuer = createInvoiceIssuer({
    db: d.db,
    events: d.events,
    timeZone: d.timeZone,
    log: d.log.child({ component: 'invoice-issuer' }),
    onIssued: async (customers) => {
      await credit.applyForCustomers(customers);
    },
  });
  const billingRuns = createBillingRunService({
    db: d.db,
    redis: d.redis,
    prefix: d.prefix,
    audit: d.audit,
    issuer,
    flow,
    timeZone: d.timeZone,
    log: d.log,
  });
  const dunning = createDunningService({
    db: d.db,
    events: d.events,
    contracts: d.contracts,
    log: d.log,
    reminderDays: d.dunningReminderDays,
    suspendDays: d.dunningSuspendDays,
    applyCredit: () => credit.applyPending(),
  });
  const payments = createPaymentService({ db: d.db, audit: d.audit, events: d.events, dunning, log: d.log });
  return {
    billingRuns,
    invoices: createInvoiceService({ db: d.db, timeZone: d.timeZone }),
    payments,
    aging: createAgingService({ db: d.db }),
    accounts: createCustomerAccountService({ db: d.db, audit: d.audit, events: d.events }),
    bankStatements: createBankStatementService({ db: d.db, audit: d.audit, payments, dunning, log: d.log }),
    credit,
    dunning,
    commissions: createCommissionService({ db: d.db, audit: d.audit, timeZone: d.timeZone }),
    charges: createOneOffChargeService({ db: d.db, audit: d.audit }),
    issuer,
    /** Closed on shutdown (the FlowProducer holds a Redis connection). */
    close: () => flow.close(),
  };
}

export type BillingModule = ReturnType<typeof createBillingModule>;
