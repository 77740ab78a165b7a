// Usage billing (issue 7): rating, runs, invoices, payments, dunning, commissions.

export { MAX_STATEMENT_BYTES } from './bank-statement-csv.js';
export { type BillingModule, createBillingModule } from './billing.module.js';
export * from './billing.schemas.js';
export { startBillingWorkers } from './billing-run.jobs.js';
export { type BillingRunView, billingRunView } from './billing-run.view.js';
export { contractStatusHooks } from './contract-status.js';
export { formatAmount, INVOICE_PDF, MAILED_EVENTS } from './customer-mail.js';
export { invoiceScopeWhere } from './invoice.service.js';
export { type InvoiceView, invoiceView } from './invoice.view.js';
export { createOneOffChargeService, type EquipmentSale, type OneOffChargeService } from './one-off-charge.service.js';
export { paymentView } from './payment.view.js';
export { periodBounds, periodOf, shiftPeriod } from './period.js';
export { divRoundHalfUp, type RatedLine, type RatingInput, type RatingResult, rate, unitsFor } from './rating.js';
export { createServiceHistory, type ServiceEventInput, type ServiceEventKind, type ServiceHistory } from './service-history.js';
export * from './tariff-plan.schemas.js';
export { createTariffPlanService, type TariffPlanService } from './tariff-plan.service.js';
export { type TariffPlanView, tariffPlanView } from './tariff-plan.view.js';
export { USAGE_ALERT_JOB, USAGE_THRESHOLDS, type UsageAlerts } from './usage-alerts.js';
export {
  type DownlinkUsage,
  type MeterDownlink,
  meterDownlink,
  type UplinkUsage,
  uplinkUsageStatement,
  uplinkUsageUpsert,
} from './usage-meter.js';
