export { createCustomerService, type CustomerService } from './customer.service.js';
export * from './crm.schemas.js';
export { contractWhere, customerWhere, ownedByCustomerWhere } from './scope.js';
export { createContractService, type ContractService, type ContractStatusChange } from './contract.service.js';
export * from './contract.schemas.js';
export { createLeadService, type LeadService } from './lead.service.js';
export { createInteractionService, type InteractionService } from './interaction.service.js';
export { createTimelineService, type TimelineService } from './timeline.service.js';
export * from './lead.schemas.js';
