// The ticket queue by group with SLA due times, and a ticket's detail with its history.
import { useState } from 'preact/hooks';
import { api, type Page, qs } from '../api';
import { Badge, Card, Empty, Link, Loaded, useAsync } from '../components/ui';
import { fmtAgo, fmtDateTime } from '../format';
import { navigate } from '../router';
import { isStaff, type Session } from '../session';
import { KbSuggestions, TicketActions } from './TicketActions';
import { TicketNotifications } from './TicketNotifications';

interface Ticket {
  id: string;
  number: number;
  kind: string;
  status: string;
  priority: string;
  group: string;
  subject: string;
  description: string | null;
  serial: string | null;
  customerId: string | null;
  faultCode: number | null;
  resolutionNote: string | null;
  assigneeId?: string | null;
  createdAt: string;
  updatedAt: string;
  firstResponseDueAt?: string | null;
  resolutionDueAt?: string | null;
  events?: { id: number; kind: string; body: string | null; visibility: string; createdAt: string; data: unknown }[];
}

const GROUPS = ['', 'SERVICE_DESK', 'REPAIR', 'SYSTEM', 'FINANCE'];

/** Time left to a due date, negative once breached. */
function Due(props: { at: string | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const ms = new Date(props.at).getTime() - Date.now();
  const mins = Math.round(Math.abs(ms) / 60_000);
  const text = mins >= 120 ? `${Math.round(mins / 60)}h` : `${mins}m`;
  return <span class={ms < 0 ? 'bad-text' : ms < 30 * 60_000 ? 'warn-text' : ''}>{ms < 0 ? `${text} overdue` : `in ${text}`}</span>;
}

type HistoryEvent = NonNullable<Ticket['events']>[number];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-/i;

/** "new → in progress: note" rather than raw JSON; ids of people become "you" or "a colleague". */
function historyText(e: HistoryEvent, me: string): string {
  const d = (e.data && typeof e.data === 'object' ? e.data : {}) as { from?: unknown; to?: unknown };
  const show = (v: unknown) =>
    v === null || v === undefined
      ? 'nobody'
      : typeof v === 'string' && UUID.test(v)
        ? v === me
          ? 'you'
          : 'a colleague'
        : String(v).replace(/_/g, ' ').toLowerCase();
  const change = 'to' in d ? `${show(d.from)} → ${show(d.to)}` : '';
  return [change, e.body].filter(Boolean).join(': ');
}

/** Anyone may open a ticket: staff for any customer, portals within their own scope. */
function NewTicket(props: { onCreated: (t: Ticket) => void }) {
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const [serial, setSerial] = useState('');
  const [priority, setPriority] = useState('NORMAL');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const t = await api<Ticket>('/tickets', {
        method: 'POST',
        body: { subject: subject.trim(), description: description.trim() || null, priority, serial: serial.trim().toUpperCase() || null },
      });
      setError(null);
      props.onCreated(t);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="New ticket" testid="new-ticket">
      <form class="stack" onSubmit={submit}>
        <input name="subject" placeholder="Subject" value={subject} onInput={(e) => setSubject(e.currentTarget.value)} required />
        <textarea
          name="description"
          rows={3}
          placeholder="What happened?"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
        <div class="filters">
          <input name="serial" placeholder="Terminal serial (optional)" value={serial} onInput={(e) => setSerial(e.currentTarget.value)} />
          <select name="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)} aria-label="Priority">
            {['LOW', 'NORMAL', 'HIGH', 'CRITICAL'].map((p) => (
              <option value={p}>{p.toLowerCase()}</option>
            ))}
          </select>
          <button type="submit" class="primary" disabled={busy || !subject.trim()}>
            Open ticket
          </button>
        </div>
        {error && <div class="bad-text">{error}</div>}
      </form>
    </Card>
  );
}

export function Tickets(props: { session: Session }) {
  const [group, setGroup] = useState('');
  const [open, setOpen] = useState('true');
  const [creating, setCreating] = useState(false);
  const state = useAsync(() => api<Page<Ticket>>(`/tickets${qs({ group, open, limit: 100 })}`), [group, open], 20_000);
  return (
    <div class="page" data-testid="tickets">
      <div class="page-head">
        <h1>Tickets</h1>
        <button type="button" class="ghost" onClick={() => setCreating(!creating)} data-testid="new-ticket-toggle">
          {creating ? 'Cancel' : '+ New ticket'}
        </button>
      </div>
      {creating && <NewTicket onCreated={(t) => navigate(`/tickets/${t.id}`)} />}
      <Card>
        <div class="filters">
          {isStaff(props.session.role) && (
            <div class="chips">
              {GROUPS.map((g) => (
                <button type="button" class={`chip ${g === group ? 'on' : ''}`} onClick={() => setGroup(g)}>
                  {g ? g.replace('_', ' ').toLowerCase() : 'all groups'}
                </button>
              ))}
            </div>
          )}
          <select value={open} onChange={(e) => setOpen(e.currentTarget.value)} aria-label="Open or all">
            <option value="true">Open tickets</option>
            <option value="">All tickets</option>
          </select>
        </div>
        <Loaded state={state} what="tickets">
          {(page) => {
            // SLA countdowns only when the API reports due dates.
            const sla = page.items.some((t) => t.resolutionDueAt !== undefined || t.firstResponseDueAt !== undefined);
            return page.items.length === 0 ? (
              <Empty>No tickets here.</Empty>
            ) : (
              <table class="rows">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Priority</th>
                    <th>Subject</th>
                    <th>Terminal</th>
                    <th>Group</th>
                    <th>Status</th>
                    {sla && <th>Response due</th>}
                    {sla && <th>Resolution due</th>}
                    <th>Opened</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((t) => (
                    <tr class="click" onClick={() => navigate(`/tickets/${t.id}`)}>
                      <td>{t.number}</td>
                      <td>
                        <Badge value={t.priority} />
                      </td>
                      <td>
                        <Link to={`/tickets/${t.id}`}>{t.subject}</Link>
                      </td>
                      <td>{t.serial ?? <span class="muted">—</span>}</td>
                      <td class="muted">{t.group.replace('_', ' ').toLowerCase()}</td>
                      <td>
                        <Badge value={t.status} />
                      </td>
                      {sla && (
                        <td>
                          <Due at={t.firstResponseDueAt} />
                        </td>
                      )}
                      {sla && (
                        <td>
                          <Due at={t.resolutionDueAt} />
                        </td>
                      )}
                      <td>{fmtAgo(t.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            );
          }}
        </Loaded>
      </Card>
    </div>
  );
}

export function TicketDetail(props: { id: string; session: Session }) {
  const state = useAsync(() => api<Ticket>(`/tickets/${props.id}`), [props.id]);
  const [note, setNote] = useState('');
  const staff = isStaff(props.session.role);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function addComment(e: Event) {
    e.preventDefault();
    if (!comment.trim()) return;
    setBusy(true);
    try {
      await api(`/tickets/${props.id}/comments`, { method: 'POST', body: { body: comment.trim() } });
      setComment('');
      state.reload();
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page" data-testid="ticket-detail">
      <Loaded state={state} what="the ticket">
        {(t) => (
          <>
            <div class="page-head">
              <h1>
                #{t.number} {t.subject}
              </h1>
              <Badge value={t.priority} />
              <Badge value={t.status} />
            </div>
            <div class="grid-1-2">
              <div>
                <Card title="Ticket">
                  <dl class="facts">
                    <dt>Kind</dt>
                    <dd>{t.kind}</dd>
                    <dt>Group</dt>
                    <dd>{t.group.replace('_', ' ').toLowerCase()}</dd>
                    <dt>Terminal</dt>
                    <dd>{t.serial ? <Link to={`/terminals/${t.serial}`}>{t.serial}</Link> : '—'}</dd>
                    <dt>Customer</dt>
                    <dd>{t.customerId ? <Link to={`/customers/${t.customerId}`}>open customer</Link> : '—'}</dd>
                    <dt>Opened</dt>
                    <dd>{fmtDateTime(t.createdAt)}</dd>
                    {t.resolutionDueAt !== undefined && (
                      <>
                        <dt>Resolution due</dt>
                        <dd>
                          <Due at={t.resolutionDueAt} />
                        </dd>
                      </>
                    )}
                    {t.resolutionNote && (
                      <>
                        <dt>Resolution</dt>
                        <dd>{t.resolutionNote}</dd>
                      </>
                    )}
                  </dl>
                  {t.description && <p class="desc">{t.description}</p>}
                </Card>
                {staff && <TicketActions ticket={t} session={props.session} onChanged={state.reload} note={note} setNote={setNote} />}
                {staff && <KbSuggestions ticketId={t.id} onUse={setNote} />}
                {staff && <TicketNotifications ticketId={t.id} version={t.updatedAt} />}
              </div>
              <Card title="History">
                <ul class="timeline">
                  {(t.events ?? []).map((e) => (
                    <li>
                      <span class="t">{fmtDateTime(e.createdAt)}</span>
                      <span class="kind">{e.kind.toLowerCase()}</span>
                      <span>{historyText(e, props.session.userId)}</span>
                    </li>
                  ))}
                </ul>
                <form class="comment" onSubmit={addComment}>
                  <textarea rows={3} placeholder="Add a comment…" value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
                  <button type="submit" class="primary" disabled={busy || !comment.trim()}>
                    Comment
                  </button>
                  {error && <span class="bad-text">{error}</span>}
                </form>
              </Card>
            </div>
          </>
        )}
      </Loaded>
    </div>
  );
}
