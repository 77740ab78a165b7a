// Terminal list: server-side filters (status, online, model), a quick text filter over the
// loaded rows, a jump to an exact serial, and paging by cursor.
import { useEffect, useState } from 'preact/hooks';
import { api, type Page, qs } from '../api';
import { Badge, Card, Dot, Empty, ErrorBox, Link } from '../components/ui';
import { CATEGORY_LABEL, fmtAgo, fmtNum } from '../format';
import { navigate } from '../router';
import type { Session } from '../session';

export interface Terminal {
  id: string;
  serial: string;
  model: string;
  modelName: string;
  category: string;
  status: string;
  customerId: string | null;
  contractorId: string | null;
  contractId: string | null;
  label: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  firmware: string | null;
  lastSeenAt: string | null;
  online: boolean;
  lastConnectAt: string | null;
  lastDisconnectAt: string | null;
  provisionedAt: string | null;
  activatedAt: string | null;
}

const STATUSES = ['', 'IN_STOCK', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'RETIRED', 'LOST'];

export function Terminals(_props: { session: Session }) {
  const [status, setStatus] = useState('');
  const [online, setOnline] = useState('');
  const [category, setCategory] = useState('');
  const [text, setText] = useState('');
  const [rows, setRows] = useState<Terminal[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  async function load(append: boolean) {
    setLoading(true);
    try {
      const page = await api<Page<Terminal>>(`/devices${qs({ status, online, limit: 200, cursor: append ? cursor : undefined })}`);
      setRows((r) => (append ? [...r, ...page.items] : page.items));
      setCursor(page.nextCursor ?? null);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => void load(false), [status, online]);

  const needle = text.trim().toLowerCase();
  const shown = rows.filter(
    (t) =>
      (!category || t.category === category) &&
      (!needle ||
        t.serial.toLowerCase().includes(needle) ||
        (t.label ?? '').toLowerCase().includes(needle) ||
        (t.address ?? '').toLowerCase().includes(needle) ||
        t.model.toLowerCase().includes(needle)),
  );

  function openExact(e: Event) {
    e.preventDefault();
    const serial = text.trim().toUpperCase();
    if (/^[A-Z0-9][A-Z0-9-]{2,31}$/.test(serial) && shown.length !== 1) navigate(`/terminals/${serial}`);
    else if (shown.length === 1) navigate(`/terminals/${shown[0]!.serial}`);
  }

  return (
    <div class="page" data-testid="terminals">
      <div class="page-head">
        <h1>Terminals</h1>
        <span class="muted">
          {fmtNum(shown.length)} shown{cursor ? ' (more available)' : ''}
        </span>
      </div>
      <Card>
        <form class="filters" onSubmit={openExact}>
          <input
            type="search"
            placeholder="Search serial, label, address, model… (Enter opens a serial)"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            data-testid="terminal-search"
          />
          <select value={category} onChange={(e) => setCategory(e.currentTarget.value)} aria-label="Category">
            <option value="">All categories</option>
            {Object.entries(CATEGORY_LABEL).map(([c, l]) => (
              <option value={c}>{l}</option>
            ))}
          </select>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} aria-label="Status">
            {STATUSES.map((s) => (
              <option value={s}>{s ? s.replace('_', ' ').toLowerCase() : 'Any status'}</option>
            ))}
          </select>
          <select value={online} onChange={(e) => setOnline(e.currentTarget.value)} aria-label="Connection">
            <option value="">Online or not</option>
            <option value="true">Online</option>
            <option value="false">Offline</option>
          </select>
        </form>
        {error ? (
          <ErrorBox error={error} what="terminals" />
        ) : shown.length === 0 ? (
          loading ? (
            <div class="loading">Loading terminals…</div>
          ) : (
            <Empty>No terminals match.</Empty>
          )
        ) : (
          <table class="rows">
            <thead>
              <tr>
                <th></th>
                <th>Serial</th>
                <th>Label</th>
                <th>Model</th>
                <th>Status</th>
                <th>Last seen</th>
                <th>Address</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((t) => (
                <tr class="click" onClick={() => navigate(`/terminals/${t.serial}`)}>
                  <td>
                    <Dot on={t.online} />
                  </td>
                  <td>
                    <Link to={`/terminals/${t.serial}`}>
                      <b>{t.serial}</b>
                    </Link>
                  </td>
                  <td>{t.label ?? <span class="muted">—</span>}</td>
                  <td>
                    {t.model} <span class="muted small">{CATEGORY_LABEL[t.category] ?? t.category}</span>
                  </td>
                  <td>
                    <Badge value={t.status} />
                  </td>
                  <td>{fmtAgo(t.lastSeenAt)}</td>
                  <td class="muted">{t.address ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && (
          <button type="button" class="ghost more-btn" disabled={loading} onClick={() => void load(true)}>
            {loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </Card>
    </div>
  );
}
