// The signed-in user, kept in sessionStorage: a tab forgets it when closed, as a console should.
export type Role = 'ADMIN' | 'OPS' | 'SERVICE' | 'REPAIR' | 'SYSTEM' | 'FINANCE' | 'SALES' | 'CONTRACTOR' | 'CUSTOMER';

export interface Session {
  token: string;
  role: Role;
  userId: string;
  customerId: string | null;
  email: string;
  name?: string;
  expiresAt: string;
}

const KEY = 'nx.session';
const STAFF: Role[] = ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE', 'SALES'];

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (new Date(s.expiresAt).getTime() < Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

export const isStaff = (role: Role): boolean => STAFF.includes(role);

/** Which console a role gets: the operations console, or a portal scoped to its customers. */
export function consoleKind(role: Role): 'operations' | 'contractor' | 'customer' {
  if (role === 'CONTRACTOR') return 'contractor';
  if (role === 'CUSTOMER') return 'customer';
  return 'operations';
}
