export * from './commercial-request.schemas.js';
export {
  COMMERCIAL_DECIDERS,
  type CommercialRequestService,
  createCommercialRequestService,
} from './commercial-request.service.js';
export * from './contract.schemas.js';
export { type ContractService, type ContractStatusChange, createContractService, type SystemStatusChange } from './contract.service.js';
export * from './crm.schemas.js';
export { type CustomerService, createCustomerService } from './customer.service.js';
export { createInteractionService, type InteractionService } from './interaction.service.js';
export * from './lead.schemas.js';
export { createLeadService, type LeadService } from './lead.service.js';
export * from './order.schemas.js';
export { createOrderService, type OrderService } from './order.service.js';
export { createTimelineService, type TimelineService } from './timeline.service.js';
