// Public surface of the service desk: tickets (workflow, SLA and knowledge base build on this).

export type { FoldedTicket } from './incident-tickets.js';
export * from './knowledge.schemas.js';
export { type ArticleHit, createKnowledgeService, type KnowledgeService } from './knowledge.service.js';
export { addBusinessMinutes, type BusinessCalendar, businessCalendar, businessMinutesBetween, slaPolicyFor } from './sla.js';
export { createSlaMonitor, SLA_MONITOR_JOB, type SlaMonitor } from './sla-monitor.js';
export * from './ticket.schemas.js';
export { type AutoResolveOutcome, createTicketService, type TicketService, type TicketServiceDeps } from './ticket.service.js';
export { type TicketView, ticketScopeWhere, ticketView } from './ticket.view.js';
export * from './ticket-workflow.schemas.js';
export { createTicketWorkflowService, type TicketWorkflowService } from './ticket-workflow.service.js';
