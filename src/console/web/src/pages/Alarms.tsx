// Alarms (raised by the operator's alarm rules on decoded telemetry) with acknowledge/clear,
// and the rule editor with a live preview of which terminals would match now.
import { useEffect, useState } from 'preact/hooks';
import { api, type Page, qs } from '../api';
import { Badge, Card, Empty, Link, Loaded, useAsync } from '../components/ui';
import { fmtAgo } from '../format';
import type { Role, Session } from '../session';

interface Alarm {
  id: string;
  ruleName: string;
  serial: string | null;
  label: string | null;
  severity: string;
  status: string;
  active: boolean;
  acknowledged: boolean;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  details: { field?: string; value?: unknown };
  ticketId: string | null;
}

const HANDLERS: Role[] = ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM', 'CONTRACTOR'];
const RULE_WRITERS: Role[] = ['ADMIN', 'OPS', 'SYSTEM'];
const SEVERITIES = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];
const show = (v: unknown) => (v && typeof v === 'object' ? Object.values(v).join(', ') : String(v));

export function Alarms(props: { session: Session }) {
  const [status, setStatus] = useState('ACTIVE');
  const [severity, setSeverity] = useState('');
  const [error, setError] = useState<string | null>(null);
  const state = useAsync(() => api<Page<Alarm>>(`/alarms${qs({ status, severity, limit: 100 })}`), [status, severity], 10_000);
  const canHandle = HANDLERS.includes(props.session.role);
  async function act(a: Alarm, what: 'acknowledge' | 'clear') {
    try {
      await api(`/alarms/${a.id}/${what}`, { method: 'POST' });
      setError(null);
      state.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <div class="page" data-testid="alarms">
      <div class="page-head">
        <h1>Alarms</h1>
        {RULE_WRITERS.includes(props.session.role) && <Link to="/alarm-rules">Alarm rules</Link>}
      </div>
      <Card>
        <div class="filters">
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} aria-label="Status">
            <option value="ACTIVE">Active</option>
            <option value="ACTIVE_UNACK">Active, not acknowledged</option>
            <option value="CLEARED">Cleared</option>
            <option value="">All</option>
          </select>
          <select value={severity} onChange={(e) => setSeverity(e.currentTarget.value)} aria-label="Severity">
            <option value="">All severities</option>
            {SEVERITIES.map((s) => (
              <option value={s}>{s.toLowerCase()}</option>
            ))}
          </select>
        </div>
        {error && <div class="bad-text">{error}</div>}
        <Loaded state={state} what="alarms">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No alarms here.</Empty>
            ) : (
              <table class="rows">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Rule</th>
                    <th>Terminal</th>
                    <th>Value</th>
                    <th>Count</th>
                    <th>Status</th>
                    <th>Last seen</th>
                    <th>Ticket</th>
                    {canHandle && <th />}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((a) => (
                    <tr data-testid="alarm-row">
                      <td>
                        <Badge value={a.severity} />
                      </td>
                      <td>{a.ruleName}</td>
                      <td>
                        {a.serial ? <Link to={`/terminals/${a.serial}`}>{a.label ? `${a.serial} (${a.label})` : a.serial}</Link> : '—'}
                      </td>
                      <td>
                        {a.details.field}: {show(a.details.value)}
                      </td>
                      <td>{a.count}</td>
                      <td>
                        <Badge value={a.status} />
                      </td>
                      <td>{fmtAgo(a.lastSeenAt)}</td>
                      <td>{a.ticketId ? <Link to={`/tickets/${a.ticketId}`}>ticket</Link> : <span class="muted">—</span>}</td>
                      {canHandle && (
                        <td>
                          {!a.acknowledged && (
                            <button type="button" class="ghost" onClick={() => act(a, 'acknowledge')}>
                              Acknowledge
                            </button>
                          )}
                          {a.active && (
                            <button type="button" class="ghost" onClick={() => act(a, 'clear')}>
                              Clear
                            </button>
                          )}
                        </td>
                      )}
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

interface Field {
  name: string;
  frame: string;
  kind: 'number' | 'boolean' | 'enum';
  unit?: string;
  values?: string[];
}
interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  severity: string;
  target: { kind: string; model?: string | null; serial?: string | null; customerId?: string | null };
  condition: { kind: string; field?: string; operator?: string; value?: unknown; alarmWhen?: string };
  raiseAfter: number;
}
interface Preview {
  examined: number;
  withData: number;
  truncated: boolean;
  matching: { serial: string; label: string | null; value: unknown; messageAt: string }[];
}

interface Draft {
  name: string;
  targetKind: 'MODEL' | 'CUSTOMER' | 'TERMINAL';
  target: string;
  kind: 'compare' | 'geofence';
  field: string;
  operator: string;
  value: string;
  polygon: string;
  alarmWhen: 'inside' | 'outside';
  from: string;
  to: string;
  raiseAfter: number;
  clearAfter: number;
  severity: string;
  createTicket: boolean;
  notify: boolean;
}

const EMPTY: Draft = {
  name: '',
  targetKind: 'MODEL',
  target: '',
  kind: 'compare',
  field: 'loadPercent',
  operator: 'gt',
  value: '100',
  polygon: '',
  alarmWhen: 'outside',
  from: '',
  to: '',
  raiseAfter: 1,
  clearAfter: 1,
  severity: 'MAJOR',
  createTicket: false,
  notify: false,
};

/** The API body of a draft; values typed as the field's kind. */
function bodyOf(d: Draft, fields: Field[]) {
  const f = fields.find((x) => x.name === d.field);
  const value = f?.kind === 'number' ? Number(d.value) : f?.kind === 'boolean' ? d.value === 'true' : d.value;
  const polygon = d.polygon
    .split('\n')
    .map((l) => l.split(',').map((n) => Number(n.trim())))
    .filter((p) => p.length === 2 && p.every((n) => Number.isFinite(n)))
    .map(([latitude, longitude]) => ({ latitude, longitude }));
  const key = d.targetKind === 'MODEL' ? 'model' : d.targetKind === 'CUSTOMER' ? 'customerId' : 'serial';
  return {
    name: d.name || 'Untitled rule',
    target: { kind: d.targetKind, [key]: d.target.trim() },
    condition:
      d.kind === 'compare'
        ? { kind: 'compare', field: d.field, operator: d.operator, value }
        : { kind: 'geofence', polygon, alarmWhen: d.alarmWhen },
    timeWindow: d.from && d.to ? { from: d.from, to: d.to } : null,
    raiseAfter: d.raiseAfter,
    clear: { after: d.clearAfter },
    severity: d.severity,
    createTicket: d.createTicket,
    notify: d.notify,
  };
}

function RuleEditor(props: { fields: Field[]; onSaved: () => void }) {
  const [d, setD] = useState<Draft>(EMPTY);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const field = props.fields.find((f) => f.name === d.field);

  // Live preview: a moment after the last change, ask which terminals would match now.
  useEffect(() => {
    if (!d.target.trim()) return;
    const t = setTimeout(() => {
      api<Preview>('/alarm-rules/preview', { method: 'POST', body: bodyOf(d, props.fields) }).then(
        (p) => {
          setPreview(p);
          setProblem(null);
        },
        (err: unknown) => {
          setPreview(null);
          setProblem(err instanceof Error ? err.message : String(err));
        },
      );
    }, 500);
    return () => clearTimeout(t);
  }, [d]);

  async function save(e: Event) {
    e.preventDefault();
    try {
      await api('/alarm-rules', { method: 'POST', body: bodyOf(d, props.fields) });
      setD(EMPTY);
      setPreview(null);
      props.onSaved();
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Card title="New alarm rule" testid="rule-editor">
      <form class="stack" onSubmit={save}>
        <input placeholder="Name, e.g. Elevator overload" value={d.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        <div class="filters">
          <select
            value={d.targetKind}
            onChange={(e) => set({ targetKind: e.currentTarget.value as Draft['targetKind'] })}
            aria-label="Target"
          >
            <option value="MODEL">Device model</option>
            <option value="CUSTOMER">Customer (id)</option>
            <option value="TERMINAL">Terminal (serial)</option>
          </select>
          <input
            name="target"
            placeholder={d.targetKind === 'MODEL' ? 'NXE-200' : d.targetKind === 'CUSTOMER' ? 'customer id' : 'serial'}
            value={d.target}
            onInput={(e) => set({ target: e.currentTarget.value })}
          />
          <select value={d.kind} onChange={(e) => set({ kind: e.currentTarget.value as Draft['kind'] })} aria-label="Condition kind">
            <option value="compare">Field comparison</option>
            <option value="geofence">Geofence (vehicles)</option>
          </select>
        </div>
        {d.kind === 'compare' ? (
          <div class="filters">
            <select name="field" value={d.field} onChange={(e) => set({ field: e.currentTarget.value })} aria-label="Field">
              {props.fields.map((f) => (
                <option value={f.name}>
                  {f.name} ({f.frame}
                  {f.unit ? `, ${f.unit}` : ''})
                </option>
              ))}
            </select>
            <select value={d.operator} onChange={(e) => set({ operator: e.currentTarget.value })} aria-label="Operator">
              {(field?.kind === 'number' ? ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] : ['eq', 'neq']).map((o) => (
                <option value={o}>{o}</option>
              ))}
            </select>
            {field?.kind === 'number' ? (
              <input name="value" type="number" step="any" value={d.value} onInput={(e) => set({ value: e.currentTarget.value })} />
            ) : (
              <select name="value" value={d.value} onChange={(e) => set({ value: e.currentTarget.value })} aria-label="Value">
                {(field?.kind === 'boolean' ? ['true', 'false'] : (field?.values ?? [])).map((v) => (
                  <option value={v}>{v}</option>
                ))}
              </select>
            )}
          </div>
        ) : (
          <div class="filters">
            <textarea
              rows={4}
              placeholder="One vertex per line: latitude, longitude"
              value={d.polygon}
              onInput={(e) => set({ polygon: e.currentTarget.value })}
            />
            <select
              value={d.alarmWhen}
              onChange={(e) => set({ alarmWhen: e.currentTarget.value as Draft['alarmWhen'] })}
              aria-label="Alarm when"
            >
              <option value="outside">Alarm outside</option>
              <option value="inside">Alarm inside</option>
            </select>
          </div>
        )}
        <div class="filters">
          <label>
            Only between <input type="time" value={d.from} onInput={(e) => set({ from: e.currentTarget.value })} /> and{' '}
            <input type="time" value={d.to} onInput={(e) => set({ to: e.currentTarget.value })} /> (operator time)
          </label>
        </div>
        <div class="filters">
          <label>
            Raise after{' '}
            <input type="number" min={1} value={d.raiseAfter} onInput={(e) => set({ raiseAfter: Number(e.currentTarget.value) })} />{' '}
            messages
          </label>
          <label>
            clear after{' '}
            <input type="number" min={1} value={d.clearAfter} onInput={(e) => set({ clearAfter: Number(e.currentTarget.value) })} /> normal
            ones
          </label>
          <select value={d.severity} onChange={(e) => set({ severity: e.currentTarget.value })} aria-label="Severity">
            {SEVERITIES.map((s) => (
              <option value={s}>{s.toLowerCase()}</option>
            ))}
          </select>
          <label>
            <input type="checkbox" checked={d.createTicket} onChange={(e) => set({ createTicket: e.currentTarget.checked })} /> ticket
          </label>
          <label>
            <input
              type="checkbox"
              checked={d.notify}
              onChange={(e) => set({ notify: e.currentTarget.checked, createTicket: d.createTicket || e.currentTarget.checked })}
            />{' '}
            page on-call
          </label>
          <button type="submit" class="primary" disabled={!d.name.trim() || !d.target.trim()}>
            Save rule
          </button>
        </div>
        {problem && <div class="bad-text">{problem}</div>}
        {preview && (
          <div data-testid="rule-preview">
            <strong>{preview.matching.length}</strong> of {preview.examined} terminals would match now ({preview.withData} with data
            {preview.truncated ? ', first terminals only' : ''}).
            <ul>
              {preview.matching.slice(0, 20).map((m) => (
                <li>
                  <Link to={`/terminals/${m.serial}`}>{m.serial}</Link> {show(m.value)} <span class="muted">{fmtAgo(m.messageAt)}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </form>
    </Card>
  );
}

export function AlarmRules(props: { session: Session }) {
  const rules = useAsync(() => api<Page<Rule>>('/alarm-rules?limit=200'), []);
  const fields = useAsync(() => api<{ items: Field[] }>('/alarm-rules/fields'), []);
  const canWrite = RULE_WRITERS.includes(props.session.role);
  async function remove(r: Rule) {
    await api(`/alarm-rules/${r.id}`, { method: 'DELETE' });
    rules.reload();
  }
  return (
    <div class="page" data-testid="alarm-rules">
      <div class="page-head">
        <h1>Alarm rules</h1>
        <Link to="/alarms">Alarms</Link>
      </div>
      {canWrite && fields.data && <RuleEditor fields={fields.data.items} onSaved={rules.reload} />}
      <Card>
        <Loaded state={rules} what="alarm rules">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No alarm rules yet.</Empty>
            ) : (
              <table class="rows">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Target</th>
                    <th>Condition</th>
                    <th>After</th>
                    <th>Severity</th>
                    {canWrite && <th />}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((r) => (
                    <tr>
                      <td>{r.name}</td>
                      <td>
                        {r.target.kind.toLowerCase()} {r.target.model ?? r.target.serial ?? r.target.customerId}
                      </td>
                      <td>
                        {r.condition.kind === 'geofence'
                          ? `geofence, alarm ${r.condition.alarmWhen}`
                          : `${r.condition.field} ${r.condition.operator} ${String(r.condition.value)}`}
                      </td>
                      <td>{r.raiseAfter}</td>
                      <td>
                        <Badge value={r.severity} />
                      </td>
                      {canWrite && (
                        <td>
                          <button type="button" class="ghost" onClick={() => remove(r)}>
                            Delete
                          </button>
                        </td>
                      )}
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
