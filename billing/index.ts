export { createTariffPlanService, type TariffPlanService } from './tariff-plan.service.js';
export { tariffPlanView, type TariffPlanView } from './tariff-plan.view.js';
export * from './tariff-plan.schemas.js';
// Usage billing (issue 7): rating, runs, invoices, payments, dunning, commissions.
export { createBillingModule, type BillingModule } from './billing.module.js';
export { startBillingWorkers } from './billing-run.jobs.js';
export * from './billing.schemas.js';
export { rate, unitsFor, divRoundHalfUp, type RatingInput, type RatingResult, type RatedLine } from './rating.js';
export { periodBounds, periodOf, shiftPeriod } from './period.js';
export { billingRunView, type BillingRunView } from './billing-run.view.js';
export { invoiceView, type InvoiceView } from './invoice.view.js';
export { paymentView } from './payment.view.js';
export { contractStatusHooks } from './contract-status.js';
export { uplinkUsageUpsert, uplinkUsageStatement, meterDownlink, type MeterDownlink, type UplinkUsage, type DownlinkUsage } from './usage-meter.js';
export { createServiceHistory, type ServiceHistory, type ServiceEventInput, type ServiceEventKind } from './service-history.js';
export { createOneOffChargeService, type OneOffChargeService, type EquipmentSale } from './one-off-charge.service.js';
