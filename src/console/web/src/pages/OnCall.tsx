// The on-call board: per group (service desk, repair, system) who is paged now and in which
// order, the handovers ahead, the overrides; the open pages with an acknowledge button for the
// paged person. Planners (OPS, ADMIN) edit rotations and add or remove overrides.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Badge, Card, Empty, Link, Loaded, useAsync } from '../components/ui';
import { fmtDateTime } from '../format';
import type { Session } from '../session';

const GROUPS = ['SERVICE_DESK', 'REPAIR', 'SYSTEM'] as const;
const groupName = (g: string) => g.replace('_', ' ').toLowerCase();

interface OnCallEntry {
  id: string;
  userId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  lead: boolean;
  override: boolean;
  replacesUserId: string | null;
  replacesName: string | null;
  from: string;
  to: string;
}
interface GroupBoard {
  group: string;
  onCall: OnCallEntry[];
  handovers: { at: string; onCall: OnCallEntry[] }[];
  rotation: OnCallEntry[];
  overrides: OnCallEntry[];
}
interface PageRow {
  id: string;
  ticketId: string;
  ticket: { number: number; subject: string; group: string } | null;
  userName: string | null;
  mine: boolean;
  reason: string;
  level: number;
  status: string;
  ackDueAt: string;
  createdAt: string;
}
interface Person {
  id: string;
  name: string;
  email: string;
  role: string;
}

const who = (e: OnCallEntry) => e.name ?? e.email ?? e.userId.slice(0, 8);

function OpenPages(props: { onChanged: () => void }) {
  const state = useAsync(() => api<{ items: PageRow[] }>('/pages?open=true'), [], 10_000);
  const [msg, setMsg] = useState<string | null>(null);
  async function ack(id: string) {
    try {
      await api(`/pages/${id}/acknowledge`, { method: 'POST' });
      setMsg('Page acknowledged.');
      state.reload();
      props.onChanged();
    } catch (err) {
      setMsg(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <Card title="Open pages" testid="open-pages">
      <Loaded state={state} what="pages">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No page is waiting for acknowledgement.</Empty>
          ) : (
            <table class="rows">
              <thead>
                <tr>
                  <th>Ticket</th>
                  <th>Reason</th>
                  <th>Paged</th>
                  <th>Level</th>
                  <th>Acknowledge by</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {p.items.map((x) => (
                  <tr data-testid={`page-${x.id}`}>
                    <td>{x.ticket ? <Link to={`/tickets/${x.ticketId}`}>{`#${x.ticket.number} ${x.ticket.subject}`}</Link> : '—'}</td>
                    <td>
                      <Badge value={x.reason} tone={x.reason === 'SAFETY' ? 'bad' : 'warn'} />
                    </td>
                    <td>{x.userName ?? '—'}</td>
                    <td>{x.level}</td>
                    <td>{fmtDateTime(x.ackDueAt)}</td>
                    <td>
                      {x.mine ? (
                        <button type="button" class="primary" onClick={() => void ack(x.id)}>
                          Acknowledge
                        </button>
                      ) : (
                        <span class="muted small">not yours</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      {msg && <div class="small">{msg}</div>}
    </Card>
  );
}

const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function OverrideForm(props: { group: string; people: Person[]; onDone: () => void }) {
  const now = new Date();
  const [userId, setUserId] = useState('');
  const [replaces, setReplaces] = useState('');
  const [phone, setPhone] = useState('');
  const [from, setFrom] = useState(localInput(now));
  const [to, setTo] = useState(localInput(new Date(now.getTime() + 8 * 3_600_000)));
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api(`/on-call/${props.group}/overrides`, {
        method: 'POST',
        body: {
          userId,
          phone: phone.trim() || null,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          replacesUserId: replaces || null,
        },
      });
      setError(null);
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form class="filters" onSubmit={submit} data-testid={`override-form-${props.group}`}>
      <select value={userId} onChange={(e) => setUserId(e.currentTarget.value)} aria-label="Who covers" required>
        <option value="">who covers…</option>
        {props.people.map((p) => (
          <option value={p.id}>{p.name}</option>
        ))}
      </select>
      <select value={replaces} onChange={(e) => setReplaces(e.currentTarget.value)} aria-label="In place of">
        <option value="">in addition</option>
        {props.people.map((p) => (
          <option value={p.id}>instead of {p.name}</option>
        ))}
      </select>
      <input placeholder="Duty phone" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} aria-label="Duty phone" />
      <input type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} aria-label="From" />
      <input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} aria-label="To" />
      <button type="submit" class="primary" disabled={!userId}>
        Add override
      </button>
      {error && <span class="bad-text">{error}</span>}
    </form>
  );
}

interface ShiftDraft {
  userId: string;
  phone: string;
  from: string;
  to: string;
  lead: boolean;
}

function RotationEditor(props: { board: GroupBoard; people: Person[]; onDone: () => void }) {
  const [rows, setRows] = useState<ShiftDraft[]>(
    props.board.rotation.map((s) => ({
      userId: s.userId,
      phone: s.phone ?? '',
      from: localInput(new Date(s.from)),
      to: localInput(new Date(s.to)),
      lead: s.lead,
    })),
  );
  const [error, setError] = useState<string | null>(null);
  const set = (i: number, patch: Partial<ShiftDraft>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  async function save(e: Event) {
    e.preventDefault();
    try {
      await api(`/on-call/${props.board.group}`, {
        method: 'PUT',
        body: {
          shifts: rows.map((r) => ({
            userId: r.userId,
            phone: r.phone.trim() || null,
            from: new Date(r.from).toISOString(),
            to: new Date(r.to).toISOString(),
            lead: r.lead,
          })),
        },
      });
      setError(null);
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  const now = new Date();
  return (
    <form class="stack" onSubmit={save} data-testid={`rotation-form-${props.board.group}`}>
      <table>
        <thead>
          <tr>
            <th>Order</th>
            <th>Person</th>
            <th>Duty phone</th>
            <th>From</th>
            <th>To</th>
            <th>Lead</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr>
              <td>{i + 1}</td>
              <td>
                <select value={r.userId} onChange={(e) => set(i, { userId: e.currentTarget.value })} aria-label="Person">
                  <option value="">—</option>
                  {props.people.map((p) => (
                    <option value={p.id}>{p.name}</option>
                  ))}
                </select>
              </td>
              <td>
                <input value={r.phone} onInput={(e) => set(i, { phone: e.currentTarget.value })} aria-label="Duty phone" />
              </td>
              <td>
                <input type="datetime-local" value={r.from} onInput={(e) => set(i, { from: e.currentTarget.value })} aria-label="From" />
              </td>
              <td>
                <input type="datetime-local" value={r.to} onInput={(e) => set(i, { to: e.currentTarget.value })} aria-label="To" />
              </td>
              <td>
                <input
                  type="checkbox"
                  checked={r.lead}
                  onChange={(e) => set(i, { lead: e.currentTarget.checked })}
                  aria-label="Group lead"
                />
              </td>
              <td>
                <button type="button" class="ghost small" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions-row">
        <button
          type="button"
          class="ghost"
          onClick={() =>
            setRows([
              ...rows,
              { userId: '', phone: '', from: localInput(now), to: localInput(new Date(now.getTime() + 7 * 86_400_000)), lead: false },
            ])
          }
        >
          + Shift
        </button>
        <button type="submit" class="primary" disabled={rows.some((r) => !r.userId)}>
          Save rotation
        </button>
        {error && <span class="bad-text">{error}</span>}
      </div>
    </form>
  );
}

function GroupCard(props: { board: GroupBoard; people: Person[]; planner: boolean; onChanged: () => void }) {
  const b = props.board;
  const [editing, setEditing] = useState(false);
  async function remove(id: string) {
    await api(`/on-call/${b.group}/overrides/${id}`, { method: 'DELETE' });
    props.onChanged();
  }
  return (
    <Card
      title={groupName(b.group)}
      testid={`on-call-${b.group}`}
      actions={
        props.planner && (
          <button type="button" class="ghost" onClick={() => setEditing(!editing)}>
            {editing ? 'Close' : 'Edit rotation'}
          </button>
        )
      }
    >
      <h3 class="small muted">On call now, in paging order</h3>
      {b.onCall.length === 0 ? (
        <div class="notice bad">Nobody is on call: pages for this group reach no one.</div>
      ) : (
        <ol data-testid={`on-call-now-${b.group}`}>
          {b.onCall.map((p) => (
            <li>
              <b>{who(p)}</b> {p.phone && <span class="muted small">{p.phone}</span>} {p.lead && <Badge value="lead" tone="info" />}{' '}
              {p.override && <Badge value={p.replacesName ? `covers ${p.replacesName}` : 'override'} tone="warn" />}{' '}
              <span class="muted small">until {fmtDateTime(p.to)}</span>
            </li>
          ))}
        </ol>
      )}
      <h3 class="small muted">Upcoming handovers</h3>
      {b.handovers.length === 0 ? (
        <Empty>No change in the next two weeks.</Empty>
      ) : (
        <ul class="plain">
          {b.handovers.map((h) => (
            <li>
              {fmtDateTime(h.at)} → {h.onCall.length ? h.onCall.map(who).join(', ') : <span class="bad-text">nobody</span>}
            </li>
          ))}
        </ul>
      )}
      <h3 class="small muted">Overrides</h3>
      {b.overrides.length === 0 ? (
        <Empty>No overrides.</Empty>
      ) : (
        <ul class="plain">
          {b.overrides.map((o) => (
            <li>
              {who(o)} {o.replacesName ? `instead of ${o.replacesName}` : 'in addition'}, {fmtDateTime(o.from)} – {fmtDateTime(o.to)}{' '}
              {props.planner && (
                <button type="button" class="ghost small" onClick={() => void remove(o.id)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {props.planner && <OverrideForm group={b.group} people={props.people} onDone={props.onChanged} />}
      {props.planner && editing && <RotationEditor board={b} people={props.people} onDone={props.onChanged} />}
    </Card>
  );
}

export function OnCall(props: { session: Session }) {
  const board = useAsync(() => api<{ at: string; groups: GroupBoard[] }>('/on-call'), [], 30_000);
  const people = useAsync(() => api<{ items: Person[] }>('/on-call/people'), []);
  const planner = props.session.role === 'OPS' || props.session.role === 'ADMIN';
  return (
    <div class="page" data-testid="on-call">
      <div class="page-head">
        <h1>On call</h1>
      </div>
      <OpenPages onChanged={board.reload} />
      <Loaded state={board} what="the on-call board">
        {(d) => (
          <div class="grid-2">
            {GROUPS.map((g) => {
              const b = d.groups.find((x) => x.group === g);
              return b ? <GroupCard board={b} people={people.data?.items ?? []} planner={planner} onChanged={board.reload} /> : null;
            })}
          </div>
        )}
      </Loaded>
    </div>
  );
}
