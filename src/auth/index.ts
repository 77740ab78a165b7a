// Public surface of auth: who is asking (principal, request context), what they may see
// (scope), sessions, API keys and users.

export * from './api-key-scopes.js';
export * from './auth.service.js';
export { PASSWORD_MIN_LENGTH, passwordWeakness } from './password-policy.js';
export * from './principal.js';
export type { Ctx, SystemCtx } from './request-context.js';
export * from './scope.js';
export * from './secrets.js';
export * from './user.schemas.js';
export * from './user.service.js';
