import type { Principal } from './principal.js';

/** Who asks, and the request it came with: every service call made for a person carries it. */
export interface Ctx {
  actor: Principal;
  requestId?: string;
}

/** As Ctx, for work the platform also starts by itself (monthly jobs): actor null is the system. */
export interface SystemCtx {
  actor: Principal | null;
  requestId?: string;
}
