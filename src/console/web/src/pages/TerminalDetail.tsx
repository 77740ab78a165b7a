// One terminal: its record, decoded recent messages (live), and downlink commands whose
// status is polled until final, so the operator watches queued → sent → delivered → acknowledged.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Page } from '../api';
import { HealthChart, type HealthPoint } from '../components/HealthChart';
import { type TelemetryBucket, TelemetryChart, telemetryUrl } from '../components/TelemetryChart';
import { Badge, Card, Dot, Empty, ErrorBox, Loaded, useAsync } from '../components/ui';
import { CATEGORY_LABEL, fmtAgo, fmtDateTime, fmtTime } from '../format';
import { useLiveEvents } from '../live';
import type { Session } from '../session';
import { IntervalOverride } from './IntervalOverride';
import type { Terminal } from './Terminals';

/** The detail answer adds the reporting interval the watchdog expects, and where it comes from. */
type TerminalWithInterval = Terminal & {
  expectedInterval?: { seconds: number; source: 'acknowledged' | 'override' | 'parked' | 'model' };
  /** Decoded numeric fields its model reports, for the telemetry chart. */
  telemetryFields?: string[];
};

/** Heartbeat averages per minute over the last 6 hours, from the chart buckets (not raw messages). */
async function healthPoints(serial: string): Promise<HealthPoint[]> {
  const [signal, supply] = await Promise.all(
    ['signalDbm', 'supplyMv'].map((f) => api<{ items: TelemetryBucket[] }>(telemetryUrl(serial, f, '1m'))),
  );
  const mv = new Map(supply!.items.map((b) => [b.at, b.avg]));
  return signal!.items.flatMap((b) => (mv.has(b.at) ? [{ at: b.at, signalDbm: b.avg, supplyMv: mv.get(b.at)! }] : []));
}

const INTERVAL_SOURCE: Record<string, string> = {
  acknowledged: 'SET_INTERVAL acknowledged by the terminal',
  override: 'override set by staff or the contractor',
  parked: 'parked: ignition off',
  model: "the model's default",
};
// Who may set a terminal's interval override (the API's PATCH /devices/{serial}).
const TUNERS = ['ADMIN', 'OPS', 'SERVICE', 'CONTRACTOR'];

function fmtInterval(e: TerminalWithInterval['expectedInterval']): string {
  if (!e) return '—';
  const every = e.seconds % 60 === 0 ? `${e.seconds / 60} min` : `${e.seconds} s`;
  return `every ${every} (${INTERVAL_SOURCE[e.source] ?? e.source})`;
}

interface Message {
  id: string;
  seq: number;
  kind: string;
  topic: string;
  qos: number;
  bytes: number;
  payloadHex: string;
  decoded: Record<string, unknown> | null;
  decodeError: string | null;
  deviceTime: string | null;
  receivedAt: string;
}
interface Command {
  id: number;
  opcode: string;
  args: Record<string, unknown> | null;
  status: string;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  completedAt: string | null;
  error: string | null;
}

const FINAL = ['ACKNOWLEDGED', 'REJECTED', 'FAILED', 'EXPIRED'];
const OPCODES: { op: string; label: string; categories: string[] }[] = [
  { op: 'REPORT_NOW', label: 'Report now', categories: ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] },
  { op: 'SET_INTERVAL', label: 'Set reporting interval', categories: ['VEHICLE', 'ELEVATOR', 'STREETLIGHT'] },
  { op: 'IMMOBILIZE', label: 'Immobilize', categories: ['VEHICLE'] },
  { op: 'SWITCH_LAMP', label: 'Switch lamp', categories: ['STREETLIGHT'] },
  { op: 'DIM', label: 'Dim lamp', categories: ['STREETLIGHT'] },
];

/** The decoded frame as a short line of key=value pairs. */
function summary(m: Message): string {
  if (!m.decoded) return m.decodeError ? `⚠ ${m.decodeError}` : '';
  const { type: _type, ...rest } = m.decoded;
  const data = (rest.data && typeof rest.data === 'object' ? rest.data : rest) as Record<string, unknown>;
  return Object.entries(data)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(5) : String(v)}`)
    .join('  ');
}

function CommandPanel(props: { terminal: Terminal; onSent: () => void }) {
  const t = props.terminal;
  const choices = OPCODES.filter((o) => o.categories.includes(t.category));
  const [op, setOp] = useState(choices[0]?.op ?? 'REPORT_NOW');
  const [seconds, setSeconds] = useState(60);
  const [on, setOn] = useState(true);
  const [percent, setPercent] = useState(50);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ bad: boolean; text: string } | null>(null);

  async function send(e: Event) {
    e.preventDefault();
    const args =
      op === 'SET_INTERVAL' ? { seconds } : op === 'IMMOBILIZE' || op === 'SWITCH_LAMP' ? { on } : op === 'DIM' ? { percent } : undefined;
    setBusy(true);
    try {
      const c = await api<Command>(`/devices/${t.serial}/commands`, { method: 'POST', body: { opcode: op, ...(args ? { args } : {}) } });
      setMsg({ bad: false, text: `Command #${c.id} queued` });
      props.onSent();
    } catch (err) {
      setMsg({ bad: true, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="cmd-form" onSubmit={send} data-testid="command-form">
      <select value={op} onChange={(e) => setOp(e.currentTarget.value)} aria-label="Command" name="opcode">
        {choices.map((c) => (
          <option value={c.op}>{c.label}</option>
        ))}
      </select>
      {op === 'SET_INTERVAL' && (
        <label class="inline">
          every <input type="number" min={1} max={65535} value={seconds} onInput={(e) => setSeconds(Number(e.currentTarget.value))} /> s
        </label>
      )}
      {(op === 'IMMOBILIZE' || op === 'SWITCH_LAMP') && (
        <select value={on ? 'on' : 'off'} onChange={(e) => setOn(e.currentTarget.value === 'on')} aria-label="On or off">
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      )}
      {op === 'DIM' && (
        <label class="inline">
          <input type="number" min={0} max={100} value={percent} onInput={(e) => setPercent(Number(e.currentTarget.value))} /> %
        </label>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Send
      </button>
      {msg && (
        <span class={msg.bad ? 'bad-text' : 'ok-text'} data-testid="command-result">
          {msg.text}
        </span>
      )}
    </form>
  );
}

export function TerminalDetail(props: { serial: string; session: Session }) {
  const { serial } = props;
  const terminal = useAsync(() => api<TerminalWithInterval>(`/devices/${serial}`), [serial], 15_000);
  const messages = useAsync(() => api<Page<Message>>(`/devices/${serial}/messages?limit=30`), [serial]);
  const heartbeats = useAsync(() => healthPoints(serial), [serial], 60_000);
  const [commands, setCommands] = useState<Command[] | null>(null);
  const [cmdError, setCmdError] = useState<unknown>(null);

  const loadCommands = () =>
    api<Page<Command>>(`/devices/${serial}/commands?limit=10`).then(
      (p) => {
        setCommands(p.items);
        setCmdError(null);
      },
      (e: unknown) => setCmdError(e),
    );
  useEffect(() => void loadCommands(), [serial]);
  // Poll while any command is still on its way; stop once all are final.
  const pending = (commands ?? []).some((c) => !FINAL.includes(c.status));
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(() => void loadCommands(), 1000);
    return () => clearInterval(t);
  }, [pending, serial]);

  useLiveEvents(
    (events) => {
      const mine = events.filter((e) => e.serial === serial);
      if (mine.some((e) => e.type === 'device.uplink')) messages.reload();
      if (mine.some((e) => e.type === 'downlink.status')) void loadCommands();
      if (mine.some((e) => e.type === 'device.online' || e.type === 'device.offline')) terminal.reload();
    },
    [serial, messages.reload, terminal.reload],
  );

  if (terminal.error instanceof ApiError && terminal.error.status === 404) {
    return (
      <div class="notice" data-testid="not-available">
        Terminal {serial} not found.
      </div>
    );
  }
  return (
    <div class="page" data-testid="terminal-detail">
      <Loaded state={terminal} what="the terminal">
        {(t) => (
          <>
            <div class="page-head">
              <h1>
                <Dot on={t.online} /> {t.serial}
              </h1>
              <span class="muted">{t.label ?? ''}</span>
              <Badge value={t.status} />
              <Badge value={t.online ? 'online' : 'offline'} />
            </div>
            <div class="grid-1-2">
              <Card title="Terminal">
                <dl class="facts">
                  <dt>Model</dt>
                  <dd>
                    {t.model} · {t.modelName} ({CATEGORY_LABEL[t.category] ?? t.category})
                  </dd>
                  <dt>Last seen</dt>
                  <dd>
                    {fmtDateTime(t.lastSeenAt)} <span class="muted">({fmtAgo(t.lastSeenAt)})</span>
                  </dd>
                  <dt>Reports</dt>
                  <dd data-testid="expected-interval">
                    {fmtInterval(t.expectedInterval)}
                    {TUNERS.includes(props.session.role) && (
                      <IntervalOverride
                        serial={t.serial}
                        current={t.expectedInterval?.source === 'override' ? t.expectedInterval.seconds : null}
                        onSaved={terminal.reload}
                      />
                    )}
                  </dd>
                  <dt>Connected</dt>
                  <dd>{fmtDateTime(t.lastConnectAt)}</dd>
                  <dt>Disconnected</dt>
                  <dd>{fmtDateTime(t.lastDisconnectAt)}</dd>
                  <dt>Address</dt>
                  <dd>{t.address ?? '—'}</dd>
                  <dt>Position</dt>
                  <dd>{t.latitude !== null && t.longitude !== null ? `${t.latitude.toFixed(5)}, ${t.longitude.toFixed(5)}` : '—'}</dd>
                  <dt>Firmware</dt>
                  <dd>{t.firmware ?? '—'}</dd>
                  <dt>Provisioned</dt>
                  <dd>{fmtDateTime(t.provisionedAt)}</dd>
                </dl>
              </Card>
              <Card title="Commands" testid="commands">
                <CommandPanel terminal={t} onSent={() => void loadCommands()} />
                {cmdError ? (
                  <ErrorBox error={cmdError} what="commands" />
                ) : !commands || commands.length === 0 ? (
                  <Empty>No commands sent yet.</Empty>
                ) : (
                  <table>
                    <thead>
                      <tr>
                        <th>#</th>
                        <th>Command</th>
                        <th>Status</th>
                        <th>Queued</th>
                        <th>Sent</th>
                        <th>Delivered</th>
                        <th>Done</th>
                      </tr>
                    </thead>
                    <tbody>
                      {commands.map((c) => (
                        <tr data-testid={`command-${c.id}`}>
                          <td>{c.id}</td>
                          <td>
                            {c.opcode.replace('_', ' ').toLowerCase()}{' '}
                            <span class="muted small">{c.args ? JSON.stringify(c.args) : ''}</span>
                          </td>
                          <td>
                            <Badge value={c.status} />
                            {c.error ? <span class="bad-text small"> {c.error}</span> : null}
                          </td>
                          <td>{fmtTime(c.createdAt)}</td>
                          <td>{fmtTime(c.sentAt)}</td>
                          <td>{fmtTime(c.deliveredAt)}</td>
                          <td>{fmtTime(c.completedAt)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </Card>
            </div>
          </>
        )}
      </Loaded>
      <Card title="Health history" actions={<span class="muted small">heartbeats, average per minute, last 6 hours</span>} testid="health">
        <Loaded state={heartbeats} what="heartbeats">
          {(points) => (points.length === 0 ? <Empty>No heartbeats yet.</Empty> : <HealthChart points={points} />)}
        </Loaded>
      </Card>
      {terminal.data?.telemetryFields && (
        <Card title="Telemetry" actions={<span class="muted small">min, average and max per bucket</span>}>
          <TelemetryChart serial={serial} fields={terminal.data.telemetryFields} />
        </Card>
      )}
      <Card title="Recent messages" testid="messages">
        <Loaded state={messages} what="messages">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No messages stored yet.</Empty>
            ) : (
              <table class="msgs">
                <thead>
                  <tr>
                    <th>Seq</th>
                    <th>Received</th>
                    <th>Kind</th>
                    <th>Decoded</th>
                    <th>Bytes</th>
                    <th>Raw</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((m) => (
                    <tr class={m.decodeError ? 'bad-row' : ''}>
                      <td>{m.seq}</td>
                      <td>{fmtTime(m.receivedAt)}</td>
                      <td>
                        <span class={`kind kind-${m.kind}`}>{m.kind}</span>
                      </td>
                      <td class="mono">{summary(m)}</td>
                      <td>{m.bytes}</td>
                      <td class="mono muted small">
                        {m.payloadHex.slice(0, 48)}
                        {m.payloadHex.length > 48 ? '…' : ''}
                      </td>
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
