// A customer's integrations: webhook endpoints with their delivery log and replay, and API keys.
// Secrets (webhook signing secret, API key) are shown once, right after creation.
import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { Badge, Card, Empty, Loaded, useAsync } from '../components/ui';
import { fmtDateTime } from '../format';
import type { Session } from '../session';

interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  batching: boolean;
  /** Seconds since the oldest event not yet delivered here; 0 when caught up. */
  lagSeconds: number;
  createdAt: string;
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  batchId: string | null;
  createdAt: string;
}
interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  revokedAt: string | null;
}

// The API's scope families (README, "API keys"); a key gets read, write or both per family.
const KEY_FAMILIES = ['devices', 'crm', 'billing', 'tickets', 'webhooks', 'reports', 'users', 'api-keys'];

function Secret(props: { label: string; value: string }) {
  return (
    <div class="secret" data-testid="one-time-secret">
      {props.label} (shown once, copy it now): <code>{props.value}</code>
    </div>
  );
}

function Deliveries(props: { endpointId: string }) {
  const state = useAsync(
    () => api<Page<Delivery>>(`/webhook-endpoints/${props.endpointId}/deliveries?limit=20`),
    [props.endpointId],
    10_000,
  );
  const [msg, setMsg] = useState<string | null>(null);
  return (
    <>
      <Loaded state={state} what="deliveries">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No deliveries yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Event</th>
                  <th>Status</th>
                  <th>Attempts</th>
                  <th>Last answer</th>
                  <th>Created</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((d) => (
                  <tr>
                    <td>
                      {d.eventType} <span class="muted small">{d.eventId}</span>
                      {d.batchId && <div class="muted small">in {d.batchId}</div>}
                    </td>
                    <td>
                      <Badge value={d.status} tone={d.status === 'SUCCEEDED' ? 'ok' : d.status === 'FAILED' ? 'bad' : 'muted'} />
                    </td>
                    <td>{d.attemptCount}</td>
                    <td class="small">
                      {d.lastStatusCode ?? ''} {d.lastError ? <span class="bad-text">{d.lastError}</span> : null}
                    </td>
                    <td>{fmtDateTime(d.createdAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="ghost small"
                        onClick={() =>
                          void api(`/webhook-deliveries/${d.id}/replay`, { method: 'POST' }).then(
                            () => {
                              setMsg('Replay queued');
                              state.reload();
                            },
                            (e: Error) => setMsg(e.message),
                          )
                        }
                      >
                        Replay
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      {msg && <div class="muted small">{msg}</div>}
    </>
  );
}

/** Lag as the operator reads it: seconds, minutes or hours. */
function fmtLag(sec: number): string {
  if (sec < 120) return `${sec} s`;
  if (sec < 7_200) return `${Math.round(sec / 60)} min`;
  return `${Math.round(sec / 3_600)} h`;
}

function Webhooks() {
  const state = useAsync(() => api<Page<Endpoint>>('/webhook-endpoints?limit=50'), []);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('device.*');
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function create(e: Event) {
    e.preventDefault();
    try {
      const r = await api<Endpoint & { secret: string }>('/webhook-endpoints', {
        method: 'POST',
        body: {
          url: url.trim(),
          eventTypes: types
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        },
      });
      setSecret(r.secret);
      setUrl('');
      setError(null);
      state.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Card title="Webhook endpoints" testid="webhooks">
      <form class="filters" onSubmit={create}>
        <input
          type="url"
          placeholder="https://your-system.example/nexsphere"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          required
          style={{ flex: 2 }}
        />
        <input
          placeholder="event types, e.g. device.*, ticket.*"
          value={types}
          onInput={(e) => setTypes(e.currentTarget.value)}
          style={{ flex: 1 }}
        />
        <button type="submit" class="primary">
          Add endpoint
        </button>
      </form>
      {error && <div class="bad-text">{error}</div>}
      {secret && <Secret label="Signing secret" value={secret} />}
      <Loaded state={state} what="webhook endpoints">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No endpoints: your systems receive nothing yet.</Empty>
          ) : (
            <ul class="plain">
              {p.items.map((ep) => (
                <li class="endpoint">
                  <div class="endpoint-head">
                    <b>{ep.url}</b>
                    <Badge
                      value={ep.enabled ? (ep.failingSince ? 'failing' : 'enabled') : 'disabled'}
                      tone={!ep.enabled ? 'muted' : ep.failingSince ? 'bad' : 'ok'}
                    />
                    <span class="muted small">{ep.eventTypes.length ? ep.eventTypes.join(', ') : 'all events'}</span>
                    {ep.batching && <span class="muted small">batched</span>}
                    <span class={ep.lagSeconds >= 60 ? 'bad-text small' : 'muted small'} data-testid="endpoint-lag">
                      {ep.lagSeconds > 0 ? `lag ${fmtLag(ep.lagSeconds)}` : 'caught up'}
                    </span>
                    <button type="button" class="ghost small" onClick={() => setOpen(open === ep.id ? null : ep.id)}>
                      {open === ep.id ? 'Hide deliveries' : 'Deliveries'}
                    </button>
                  </div>
                  {ep.disabledReason && <div class="bad-text small">{ep.disabledReason}</div>}
                  {open === ep.id && <Deliveries endpointId={ep.id} />}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </Card>
  );
}

function ApiKeys() {
  const state = useAsync(() => api<{ items: ApiKey[] }>('/api-keys'), []);
  const [name, setName] = useState('');
  // Read-only by default: writing is a deliberate choice.
  const [scopes, setScopes] = useState<string[]>(['devices:read', 'tickets:read', 'billing:read']);
  const [key, setKey] = useState<string | null>(null);
  const toggle = (scope: string, on: boolean) =>
    setScopes((s) => (on ? [...s.filter((x) => x !== scope), scope] : s.filter((x) => x !== scope)));
  const [error, setError] = useState<string | null>(null);
  async function create(e: Event) {
    e.preventDefault();
    try {
      const r = await api<ApiKey & { key: string }>('/api-keys', { method: 'POST', body: { name: name.trim(), scopes } });
      setKey(r.key);
      setName('');
      state.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <Card title="API keys" testid="api-keys">
      <form class="filters" onSubmit={create}>
        <input placeholder="Key name, e.g. fleet dashboard" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      <div class="filters small" data-testid="api-key-scopes">
        {KEY_FAMILIES.map((f) => (
          <span>
            {f}:{' '}
            {['read', 'write'].map((a) => (
              <label>
                <input
                  type="checkbox"
                  checked={scopes.includes(`${f}:${a}`)}
                  onChange={(e) => toggle(`${f}:${a}`, e.currentTarget.checked)}
                />{' '}
                {a}{' '}
              </label>
            ))}
          </span>
        ))}
      </div>
      {error && <div class="bad-text">{error}</div>}
      {key && <Secret label="API key" value={key} />}
      <Loaded state={state} what="API keys">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No API keys.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Prefix</th>
                  <th>Scopes</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((k) => (
                  <tr>
                    <td>{k.name}</td>
                    <td class="mono">{k.prefix}…</td>
                    <td class="small">{k.scopes.join(' ')}</td>
                    <td>{fmtDateTime(k.createdAt)}</td>
                    <td>{fmtDateTime(k.lastUsedAt)}</td>
                    <td>{fmtDateTime(k.expiresAt)}</td>
                    <td>
                      {k.revokedAt ? (
                        <Badge value="revoked" tone="muted" />
                      ) : (
                        <button
                          type="button"
                          class="ghost small"
                          onClick={() =>
                            void api(`/api-keys/${k.id}`, { method: 'DELETE' }).then(state.reload, (e: Error) => setError(e.message))
                          }
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </Card>
  );
}

export function Integrations(_props: { session: Session }) {
  return (
    <div class="page" data-testid="integrations">
      <div class="page-head">
        <h1>Integrations</h1>
        <span class="muted">webhooks to your systems and keys for our API</span>
      </div>
      <Webhooks />
      <ApiKeys />
    </div>
  );
}
