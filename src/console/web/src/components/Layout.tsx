// The frame around every page: navigation for the signed-in role, live status, clock, sign-out.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { OPERATOR_TZ } from '../format';
import { useLiveStatus } from '../live';
import { consoleKind, isStaff, type Role, type Session } from '../session';
import { SearchBox } from './SearchBox';
import { Link } from './ui';

interface NavItem {
  to: string;
  label: string;
  roles?: Role[] | 'staff' | 'portal';
}

const NAV: NavItem[] = [
  { to: '/', label: 'Overview' },
  { to: '/terminals', label: 'Terminals' },
  { to: '/provision', label: 'Provisioning', roles: ['ADMIN', 'OPS', 'SALES', 'REPAIR', 'CONTRACTOR'] },
  { to: '/alarms', label: 'Alarms' },
  { to: '/alarm-rules', label: 'Alarm rules', roles: ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM'] },
  { to: '/tickets', label: 'Tickets' },
  { to: '/on-call', label: 'On call', roles: ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM'] },
  { to: '/customers', label: 'Customers', roles: ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'FINANCE', 'SALES', 'CONTRACTOR'] },
  { to: '/billing', label: 'Billing', roles: ['ADMIN', 'FINANCE'] },
  { to: '/billing/bank-statements', label: 'Bank statements', roles: ['ADMIN', 'FINANCE'] },
  { to: '/invoices', label: 'Invoices', roles: ['CONTRACTOR', 'CUSTOMER', 'SALES'] },
  { to: '/leads', label: 'Leads', roles: ['ADMIN', 'SALES'] },
  { to: '/reports', label: 'Reports', roles: ['ADMIN', 'FINANCE', 'SALES', 'OPS'] },
  { to: '/commissions', label: 'Commissions', roles: ['ADMIN', 'FINANCE', 'CONTRACTOR'] },
  { to: '/outgoing-mail', label: 'Outgoing mail', roles: ['ADMIN', 'FINANCE', 'OPS'] },
  { to: '/integrations', label: 'Integrations', roles: ['ADMIN', 'CUSTOMER', 'CONTRACTOR'] },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((n) => {
    if (!n.roles) return true;
    if (n.roles === 'staff') return isStaff(role);
    if (n.roles === 'portal') return !isStaff(role);
    return n.roles.includes(role);
  });
}

const TITLES = { operations: 'Operations console', contractor: 'Contractor portal', customer: 'Customer portal' } as const;

function Clock() {
  const [now, setNow] = useState(new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(t);
  }, []);
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: OPERATOR_TZ,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(now);
  return (
    <span class="clock" title={`Operator time (${OPERATOR_TZ})`}>
      {text} <small>CST</small>
    </span>
  );
}

function LiveIndicator() {
  const s = useLiveStatus();
  return (
    <span class={`live-ind live-${s}`} data-testid="live-status" title="Live feed">
      <span class="pulse" /> {s === 'live' ? 'live' : s}
    </span>
  );
}

export function Layout(props: { session: Session; path: string; onSignOut: () => void; children: ComponentChildren }) {
  const { session, path } = props;
  const kind = consoleKind(session.role);
  return (
    <div class={`shell kind-${kind}`}>
      <aside class="side">
        <div class="brand">
          <span class="logo" />
          <div>
            <div class="brand-name">Nexsphere</div>
            <div class="brand-sub" data-testid="console-kind">
              {TITLES[kind]}
            </div>
          </div>
        </div>
        <nav>
          {navFor(session.role).map((n) => (
            <Link to={n.to} class={(n.to === '/' ? path === '/' : path.startsWith(n.to)) ? 'active' : ''}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div class="side-foot">
          <div class="who" data-testid="who">
            <div>{session.name ?? session.email}</div>
            <small>{session.role.toLowerCase()}</small>
          </div>
          <button type="button" class="ghost" onClick={props.onSignOut} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </aside>
      <div class="main">
        <header class="top">
          <div class="crumbs">{TITLES[kind]}</div>
          <SearchBox session={session} />
          <div class="top-right">
            <LiveIndicator />
            <Clock />
          </div>
        </header>
        <main class="content">{props.children}</main>
      </div>
    </div>
  );
}
