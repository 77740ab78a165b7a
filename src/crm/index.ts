export { createCustomerService, type CustomerService } from './customer.service.js';
export * from './crm.schemas.js';
export { customerWhere, ownedByCustomerWhere } from './scope.js';
