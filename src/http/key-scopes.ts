import type { FastifyRequest } from 'fastify';
import { type ScopeFamily, scopeAllows } from '../auth/index.js';
import { AppError } from '../platform/errors.js';

// The one place that says which resource family each API route belongs to, by the first
// segment of its URL pattern under /api/v1. A route missing here is closed to API keys.
const FAMILY_BY_SEGMENT: Record<string, ScopeFamily | 'none'> = {
  devices: 'devices',
  'device-models': 'devices',
  live: 'devices',
  alarms: 'devices',
  'alarm-rules': 'devices',
  customers: 'crm',
  leads: 'crm',
  interactions: 'crm',
  contracts: 'crm',
  orders: 'crm',
  'commercial-requests': 'crm',
  'tariff-plans': 'billing',
  'billing-runs': 'billing',
  billing: 'billing',
  invoices: 'billing',
  'invoices.csv': 'billing',
  payments: 'billing',
  commissions: 'billing',
  'commission-statements': 'billing',
  tickets: 'tickets',
  'knowledge-articles': 'tickets',
  'webhook-endpoints': 'webhooks',
  'webhook-deliveries': 'webhooks',
  overview: 'reports',
  reports: 'reports',
  'audit-log': 'reports',
  users: 'users',
  'api-keys': 'api-keys',
  // Who am I, log out: about the caller itself, open to every key.
  auth: 'none',
};

const API_PREFIX = '/api/v1/';

/** The family of a matched route pattern (`/api/v1/devices/:serial` -> devices); undefined when unknown. */
export function routeFamily(routeUrl: string): ScopeFamily | 'none' | undefined {
  if (!routeUrl.startsWith(API_PREFIX)) return undefined;
  const segment = routeUrl.slice(API_PREFIX.length).split('/')[0] ?? '';
  return Object.hasOwn(FAMILY_BY_SEGMENT, segment) ? FAMILY_BY_SEGMENT[segment] : undefined;
}

/**
 * For API keys: the route's family must be in the key's scopes, `read` for GET and HEAD and
 * `write` for everything else. This comes on top of the user's role, never instead of it.
 */
export function enforceKeyScopes(req: FastifyRequest): void {
  const scopes = req.principal.scopes;
  if (!scopes) return;
  const url = req.routeOptions.url;
  // No route matched: the not-found handler answers, nothing to protect.
  if (!url) return;
  const family = routeFamily(url);
  if (family === 'none') return;
  const access = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
  if (family && scopeAllows(scopes, family, access)) return;
  const needed = family ? `${family}:${access}` : 'a session (no API key scope covers this route)';
  throw new AppError('forbidden', `This API key lacks the scope for this request: ${needed}`);
}
