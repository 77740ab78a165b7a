// Provisioning terminals onto a contract, one at a time or from pasted CSV (bulk import).
// Each terminal's secret is issued once: the page offers the results as a serial,secret CSV,
// the format the simulators and installers' tools read.
import { useState } from 'preact/hooks';
import { api, type Page, qs } from '../api';
import { Card, Empty, Loaded, useAsync } from '../components/ui';
import type { Session } from '../session';

interface Contract {
  id: string;
  number: string;
  customerId: string;
  status: string;
  tariffPlan?: { name: string };
}
interface Row {
  serial: string;
  label?: string;
  address?: string;
  latitude?: number;
  longitude?: number;
}
interface Result {
  serial: string;
  ok: boolean;
  secret?: string;
  error?: string;
}

/** "serial,label,address,latitude,longitude" per line; a header line and blank lines are skipped. */
export function parseCsv(text: string): { rows: Row[]; errors: string[] } {
  const rows: Row[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [serial = '', label, address, lat, lon] = line.split(',').map((s) => s.trim());
    if (i === 0 && serial.toLowerCase() === 'serial') return;
    if (!/^[A-Z0-9][A-Z0-9-]{2,31}$/.test(serial.toUpperCase())) {
      errors.push(`line ${i + 1}: "${serial}" is not a serial`);
      return;
    }
    const row: Row = { serial: serial.toUpperCase() };
    if (label) row.label = label;
    if (address) row.address = address;
    if (lat && lon) {
      const latitude = Number(lat);
      const longitude = Number(lon);
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) {
        errors.push(`line ${i + 1}: bad coordinates`);
        return;
      }
      row.latitude = latitude;
      row.longitude = longitude;
    }
    rows.push(row);
  });
  return { rows, errors };
}

function saveCredentials(results: Result[]): void {
  const csv = `${['serial,secret', ...results.filter((r) => r.ok).map((r) => `${r.serial},${r.secret}`)].join('\n')}\n`;
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'terminal-credentials.csv';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Provision(_props: { session: Session }) {
  const contracts = useAsync(() => api<Page<Contract>>(`/contracts${qs({ limit: 200, status: 'ACTIVE' })}`), []);
  const customers = useAsync(() => api<Page<{ id: string; name: string }>>('/customers?limit=500'), []);
  const [contractId, setContractId] = useState('');
  const [text, setText] = useState('');
  const [results, setResults] = useState<Result[]>([]);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const nameOf = (id: string) => customers.data?.items.find((c) => c.id === id)?.name ?? 'customer';

  async function run(e: Event) {
    e.preventDefault();
    const parsed = parseCsv(text);
    setErrors(parsed.errors);
    if (!contractId || parsed.rows.length === 0) return;
    setBusy(true);
    const out: Result[] = [];
    // One by one: each answer carries a secret that must not be lost to a partial failure.
    for (const { serial, ...rest } of parsed.rows) {
      try {
        const r = await api<{ serial: string; secret: string }>(`/devices/${serial}/provision`, {
          method: 'POST',
          body: { contractId, ...rest },
        });
        out.push({ serial, ok: true, secret: r.secret });
      } catch (err) {
        out.push({ serial, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
      setResults([...out]);
    }
    setBusy(false);
  }

  const ok = results.filter((r) => r.ok).length;
  return (
    <div class="page" data-testid="provision">
      <div class="page-head">
        <h1>Provision terminals</h1>
        <span class="muted">terminals in stock go onto a contract and get their secret</span>
      </div>
      <Card title="Terminals to provision">
        <Loaded state={contracts} what="contracts">
          {(p) =>
            p.items.length === 0 ? (
              <Empty>No active contracts to provision onto.</Empty>
            ) : (
              <form class="stack" onSubmit={run}>
                <select
                  value={contractId}
                  onChange={(e) => setContractId(e.currentTarget.value)}
                  required
                  aria-label="Contract"
                  name="contract"
                >
                  <option value="">Choose a contract…</option>
                  {p.items.map((c) => (
                    <option value={c.id}>
                      {c.number} · {nameOf(c.customerId)}
                      {c.tariffPlan ? ` · ${c.tariffPlan.name}` : ''}
                    </option>
                  ))}
                </select>
                <textarea
                  name="csv"
                  rows={6}
                  class="mono"
                  placeholder={
                    'serial,label,address,latitude,longitude\nNXV-00012345,Truck 12,Depot Pudong,31.2304,121.4737\nNXL-00000077,Lamp 77'
                  }
                  value={text}
                  onInput={(e) => setText(e.currentTarget.value)}
                  required
                />
                <div class="filters">
                  <button type="submit" class="primary" disabled={busy || !contractId}>
                    {busy ? `Provisioning… ${results.length}` : 'Provision'}
                  </button>
                  <span class="muted small">One line per terminal; only the serial is required. Paste a CSV for bulk import.</span>
                </div>
                {errors.map((x) => (
                  <div class="bad-text small">{x}</div>
                ))}
              </form>
            )
          }
        </Loaded>
      </Card>
      {results.length > 0 && (
        <Card
          title={`Results: ${ok} provisioned, ${results.length - ok} failed`}
          testid="provision-results"
          actions={
            ok > 0 && (
              <button type="button" class="primary small" onClick={() => saveCredentials(results)}>
                Download credentials CSV
              </button>
            )
          }
        >
          <div class="secret">Secrets are shown only now: download the credentials before leaving this page.</div>
          <table>
            <thead>
              <tr>
                <th>Serial</th>
                <th>Result</th>
                <th>Secret</th>
              </tr>
            </thead>
            <tbody>
              {results.map((r) => (
                <tr>
                  <td>
                    <b>{r.serial}</b>
                  </td>
                  <td>{r.ok ? <span class="ok-text">provisioned</span> : <span class="bad-text">{r.error}</span>}</td>
                  <td class="mono small">{r.secret ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </div>
  );
}
