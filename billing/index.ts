export { createTariffPlanService, tariffPlanDto, type TariffPlanService, type TariffPlanDto } from './tariff-plan.service.js';
export * from './tariff-plan.schemas.js';
// Usage billing (issue 7): rating, runs, invoices, payments, dunning, commissions.
export { createBillingModule, type BillingModule } from './billing.module.js';
export { startBillingWorkers } from './billing-run.jobs.js';
export * from './billing.schemas.js';
export { rate, unitsFor, divRoundHalfUp, type RatingInput, type RatingResult, type RatedLine } from './rating.js';
export { periodBounds, periodOf, shiftPeriod } from './period.js';
export { billingRunDto, invoiceDto, paymentDto } from './billing.dto.js';
export { contractStatusHooks } from './contract-status.js';
export { uplinkUsageUpsert, uplinkUsageStatement, meterDownlink, type MeterDownlink, type UplinkUsage, type DownlinkUsage } from './usage-meter.js';
