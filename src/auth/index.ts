// Public surface of auth: who is asking (principal, request context), what they may see
// (scope), sessions, API keys and users.
export * from './principal.js';
export * from './scope.js';
export type { Ctx, SystemCtx } from './request-context.js';
export * from './secrets.js';
export * from './auth.service.js';
export * from './user.service.js';
export * from './user.schemas.js';
export * from './api-key-scopes.js';
export { passwordWeakness, PASSWORD_MIN_LENGTH } from './password-policy.js';
