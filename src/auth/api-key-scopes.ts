// What an API key may do. A key acts as the user who created it and never beyond that
// user's role; its scopes narrow it further to read or write per resource family.

/** Resource families; every API route belongs to one (see src/http/key-scopes.ts). */
export const SCOPE_FAMILIES = ['devices', 'crm', 'billing', 'tickets', 'webhooks', 'reports', 'users', 'api-keys'] as const;
export type ScopeFamily = (typeof SCOPE_FAMILIES)[number];
export type ScopeAccess = 'read' | 'write';

export const API_KEY_SCOPES: readonly string[] = SCOPE_FAMILIES.flatMap((f) => [`${f}:read`, `${f}:write`]);

/** Keys live at most this long; without an explicit expiry they get all of it. */
export const API_KEY_MAX_LIFETIME_MS = 365 * 24 * 3600_000;

/** True when a key with `scopes` may use a route of `family` for `access` (read or write, never implied by each other). */
export function scopeAllows(scopes: readonly string[], family: ScopeFamily, access: ScopeAccess): boolean {
  return scopes.includes(`${family}:${access}`);
}
