// Entry point: sign-in gate, then the page for the current path inside the role's layout.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { api, setUnauthorizedHandler } from './api';
import { Layout } from './components/Layout';
import { connectLive, disconnectLive } from './live';
import { AlarmRules, Alarms } from './pages/Alarms';
import { BankStatements } from './pages/BankStatements';
import { Billing, Invoices } from './pages/Billing';
import { CustomerDetail, Customers } from './pages/Customers';
import { Integrations } from './pages/Integrations';
import { Login } from './pages/Login';
import { OnCall } from './pages/OnCall';
import { OutgoingMail } from './pages/OutgoingMail';
import { Overview } from './pages/Overview';
import { Provision } from './pages/Provision';
import { Reports } from './pages/Reports';
import { Commissions, Leads } from './pages/Sales';
import { TerminalDetail } from './pages/TerminalDetail';
import { Terminals } from './pages/Terminals';
import { TicketDetail, Tickets } from './pages/Tickets';
import { match, navigate, usePath } from './router';
import { loadSession, type Session, saveSession } from './session';

function Page(props: { path: string; session: Session }) {
  const { path, session } = props;
  const terminal = match('/terminals/:serial', path);
  const ticket = match('/tickets/:id', path);
  const customer = match('/customers/:id', path);
  if (path === '/' || path === '/overview') return <Overview session={session} />;
  if (path === '/terminals') return <Terminals session={session} />;
  if (terminal) return <TerminalDetail serial={terminal.serial!} session={session} />;
  if (path === '/alarms') return <Alarms session={session} />;
  if (path === '/alarm-rules') return <AlarmRules session={session} />;
  if (path === '/tickets') return <Tickets session={session} />;
  if (ticket) return <TicketDetail id={ticket.id!} session={session} />;
  if (path === '/customers') return <Customers session={session} />;
  if (customer) return <CustomerDetail id={customer.id!} session={session} />;
  if (path === '/billing') return <Billing session={session} />;
  if (path === '/billing/bank-statements') return <BankStatements session={session} />;
  if (path === '/invoices') return <Invoices session={session} />;
  if (path === '/reports') return <Reports session={session} />;
  if (path === '/provision') return <Provision session={session} />;
  if (path === '/leads') return <Leads session={session} />;
  if (path === '/commissions') return <Commissions session={session} />;
  if (path === '/outgoing-mail') return <OutgoingMail session={session} />;
  if (path === '/integrations') return <Integrations session={session} />;
  if (path === '/on-call') return <OnCall session={session} />;
  return <div class="notice">No such page: {path}</div>;
}

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const path = usePath();

  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
  }, []);
  useEffect(() => {
    if (session) connectLive();
    else disconnectLive();
  }, [session]);

  if (!session || path === '/login') {
    return (
      <Login
        onSignedIn={(s) => {
          saveSession(s);
          setSession(s);
          if (path === '/login') navigate('/', true);
        }}
      />
    );
  }
  const signOut = () => {
    void api('/auth/logout', { method: 'POST' }).catch(() => {});
    saveSession(null);
    setSession(null);
    navigate('/', true);
  };
  return (
    <Layout session={session} path={path} onSignOut={signOut}>
      <Page path={path} session={session} />
    </Layout>
  );
}

render(<App />, document.getElementById('app')!);
