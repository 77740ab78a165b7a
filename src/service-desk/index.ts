// Public surface of the service desk: tickets (workflow, SLA and knowledge base build on this).
export { createTicketService, type TicketService, type TicketServiceDeps, type AutoResolveOutcome } from './ticket.service.js';
export type { FoldedTicket } from './incident-tickets.js';
export * from './ticket.schemas.js';
export { ticketScopeWhere, ticketView, type TicketView } from './ticket.view.js';
export { createKnowledgeService, type KnowledgeService, type ArticleHit } from './knowledge.service.js';
export * from './knowledge.schemas.js';
export { createTicketWorkflowService, type TicketWorkflowService } from './ticket-workflow.service.js';
export * from './ticket-workflow.schemas.js';
export { createSlaMonitor, SLA_MONITOR_JOB, type SlaMonitor } from './sla-monitor.js';
export { addBusinessMinutes, businessMinutesBetween, businessCalendar, slaPolicyFor, type BusinessCalendar } from './sla.js';
