// Customers in scope, and one customer's 360 view: record, contacts and timeline.
import { useState } from 'preact/hooks';
import { api, type Page, qs } from '../api';
import { ACCOUNT_ROLES, CustomerAccount } from '../components/CustomerAccount';
import { Badge, Card, Empty, Link, Loaded, useAsync } from '../components/ui';
import { fmtDate, fmtDateTime, fmtMoney } from '../format';
import { navigate } from '../router';
import type { Session } from '../session';

interface Customer {
  id: string;
  kind: string;
  name: string;
  tier?: string;
  status?: string;
  segment?: string | null;
  email?: string | null;
  phone?: string | null;
  contractorId?: string | null;
  createdAt: string;
}
interface Contact {
  id: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  role?: string | null;
}
interface TimelineEntry {
  at: string;
  kind: string;
  title: string;
  ref: { type: string; id: string };
  detail?: Record<string, unknown>;
}

export function Customers(_props: { session: Session }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState('');
  const state = useAsync(() => api<Page<Customer>>(`/customers${qs({ name, kind, limit: 200 })}`), [name, kind]);
  return (
    <div class="page" data-testid="customers">
      <div class="page-head">
        <h1>Customers</h1>
      </div>
      <Card>
        <div class="filters">
          <input type="search" placeholder="Name contains…" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value)} aria-label="Kind">
            <option value="">End users and contractors</option>
            <option value="END_USER">End users</option>
            <option value="CONTRACTOR">Contractors</option>
          </select>
        </div>
        <Loaded state={state} what="customers">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No customers.</Empty>
            ) : (
              <table class="rows" data-testid="customer-rows">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Kind</th>
                    <th>Tier</th>
                    <th>Segment</th>
                    <th>Status</th>
                    <th>Since</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((c) => (
                    <tr class="click" onClick={() => navigate(`/customers/${c.id}`)}>
                      <td>
                        <Link to={`/customers/${c.id}`}>
                          <b>{c.name}</b>
                        </Link>
                      </td>
                      <td>{c.kind === 'CONTRACTOR' ? 'contractor' : 'end user'}</td>
                      <td>{c.tier?.toLowerCase() ?? '—'}</td>
                      <td class="muted">{c.segment ?? ''}</td>
                      <td>
                        <Badge value={c.status ?? null} />
                      </td>
                      <td>{fmtDate(c.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      </Card>
    </div>
  );
}

export function CustomerDetail(props: { id: string; session: Session }) {
  const customer = useAsync(() => api<Customer>(`/customers/${props.id}`), [props.id]);
  const contacts = useAsync(() => api<{ items: Contact[] }>(`/customers/${props.id}/contacts`), [props.id]);
  const timeline = useAsync(() => api<{ items: TimelineEntry[] }>(`/customers/${props.id}/timeline?limit=50`), [props.id]);
  return (
    <div class="page" data-testid="customer-detail">
      <Loaded state={customer} what="the customer">
        {(c) => (
          <div class="page-head">
            <h1>{c.name}</h1>
            <Badge value={c.kind === 'CONTRACTOR' ? 'contractor' : 'end user'} tone="info" />
            {c.tier && <Badge value={c.tier} tone="info" />}
          </div>
        )}
      </Loaded>
      <div class="grid-1-2">
        <div>
          <Loaded state={customer} what="the customer">
            {(c) => (
              <Card title="Customer">
                <dl class="facts">
                  <dt>E-mail</dt>
                  <dd>{c.email ?? '—'}</dd>
                  <dt>Phone</dt>
                  <dd>{c.phone ?? '—'}</dd>
                  <dt>Segment</dt>
                  <dd>{c.segment ?? '—'}</dd>
                  <dt>Contractor</dt>
                  <dd>{c.contractorId ? <Link to={`/customers/${c.contractorId}`}>open contractor</Link> : '—'}</dd>
                  <dt>Since</dt>
                  <dd>{fmtDate(c.createdAt)}</dd>
                </dl>
                <Link to={`/terminals`} class="more">
                  Terminals →
                </Link>
              </Card>
            )}
          </Loaded>
          <Card title="Contacts">
            <Loaded state={contacts} what="contacts">
              {(p) =>
                p.items.length === 0 ? (
                  <Empty>No contacts.</Empty>
                ) : (
                  <ul class="plain">
                    {p.items.map((x) => (
                      <li>
                        <b>{x.name}</b> {x.role ? <span class="muted">({x.role})</span> : null}
                        <br />
                        <span class="muted small">{[x.email, x.phone].filter(Boolean).join(' · ')}</span>
                      </li>
                    ))}
                  </ul>
                )
              }
            </Loaded>
          </Card>
        </div>
        <div>
          {ACCOUNT_ROLES.includes(props.session.role) && <CustomerAccount customerId={props.id} role={props.session.role} />}
          <Card title="Timeline (360)" testid="timeline">
            <Loaded state={timeline} what="the timeline">
              {(p) =>
                p.items.length === 0 ? (
                  <Empty>Nothing recorded yet.</Empty>
                ) : (
                  <ul class="timeline">
                    {p.items.map((e) => (
                      <li>
                        <span class="t">{fmtDateTime(e.at)}</span>
                        <span class="kind">{e.kind.replace('.', ' ')}</span>
                        <span>
                          {e.ref.type === 'device' ? (
                            <Link to={`/terminals/${e.title.split(' ')[1] ?? ''}`}>{e.title}</Link>
                          ) : e.ref.type === 'ticket' ? (
                            <Link to={`/tickets/${e.ref.id}`}>{e.title}</Link>
                          ) : (
                            e.title
                          )}
                          {typeof e.detail?.totalMinor === 'number' ? ` · ${fmtMoney(e.detail.totalMinor)}` : ''}
                          {typeof e.detail?.amountMinor === 'number' ? ` · ${fmtMoney(e.detail.amountMinor)}` : ''}
                        </span>
                      </li>
                    ))}
                  </ul>
                )
              }
            </Loaded>
          </Card>
        </div>
      </div>
    </div>
  );
}
