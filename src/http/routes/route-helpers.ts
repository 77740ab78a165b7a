// What every resource's routes share: the request context handed to services, and the id path.
import { z } from 'zod';
import type { Ctx, Principal } from '../../auth/index.js';

export const idParams = z.object({ id: z.string().uuid() });

/** The request context of an authenticated request (the auth hook set `principal`). */
export const ctx = (req: { principal: Principal; id: string }): Ctx => ({ actor: req.principal, requestId: req.id });
