import { z } from 'zod';
import { queryBool } from '../platform/schemas.js';
import { ALL_ROLES, type Role } from './principal.js';

const role = z.enum(ALL_ROLES as [Role, ...Role[]]);

export const userPatch = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  role: role.optional(),
  active: z.boolean().optional(),
  // Setting a password is an administrator's reset: the user's sessions end and API keys are revoked with it.
  password: z.string().min(12).max(200).optional(),
  customerId: z.string().uuid().nullable().optional(),
});
export type UserPatch = z.infer<typeof userPatch>;

export const userFilter = z.object({
  role: role.optional(),
  active: queryBool.optional(),
  customerId: z.string().uuid().optional(),
  q: z.string().max(100).optional(),
});
export type UserFilter = z.infer<typeof userFilter>;
