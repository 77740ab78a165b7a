// Billing: start a monthly run and watch its progress; invoices with PDF download.
import { useEffect, useState } from 'preact/hooks';
import type { BillingRunAnswer, InvoiceAnswer, Json } from '../../../../api-types';
import { api, download, type Page, qs } from '../api';
import { Badge, Card, Empty, ErrorBox, Link, Loaded, Stat, useAsync } from '../components/ui';
import { fmtDate, fmtDateTime, fmtMoney } from '../format';
import type { Session } from '../session';

type Invoice = Json<InvoiceAnswer>;
type BillingRun = Json<BillingRunAnswer>;

/** Last month in the operator's time zone: the period a run normally bills. */
function lastPeriod(): string {
  const now = new Date(Date.now() + 8 * 3600_000);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Records a bank payment against one invoice; the idempotency key makes a double click harmless. */
function PaymentForm(props: { invoice: Invoice; onDone: () => void }) {
  const [reference, setReference] = useState('');
  const [amount, setAmount] = useState((props.invoice.balanceMinor / 100).toFixed(2));
  const [key] = useState(() => crypto.randomUUID());
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api('/payments', {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: {
          reference: reference.trim(),
          invoiceId: props.invoice.id,
          amountMinor: Math.round(Number(amount) * 100),
          currency: props.invoice.currency,
        },
      });
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form class="filters" onSubmit={submit} data-testid="payment-form">
      <input
        name="reference"
        placeholder="Bank reference"
        value={reference}
        onInput={(e) => setReference(e.currentTarget.value)}
        required
      />
      <label class="inline">
        ¥{' '}
        <input
          name="amount"
          type="number"
          step="0.01"
          min="0.01"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
          required
        />
      </label>
      <button type="submit" class="primary small">
        Record payment
      </button>
      {error && <span class="bad-text small">{error}</span>}
    </form>
  );
}

/** Open receivables by days past due: the overdue (dunning) list finance works from. */
function Aging() {
  // One currency at a time: amounts in different currencies are never added up.
  const [currency, setCurrency] = useState<string | undefined>(undefined);
  const state = useAsync(
    () =>
      api<{
        currency: string;
        currencies: string[];
        buckets: Record<string, number>;
        totalMinor: number;
        creditMinor: number;
        customers: {
          customerId: string;
          name: string;
          invoices: number;
          buckets: Record<string, number>;
          totalMinor: number;
          creditMinor: number;
          netMinor: number;
        }[];
      }>(`/reports/aging${qs({ currency })}`),
    [currency],
    60_000,
  );
  const BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'];
  return (
    <Card title="Receivables aging" testid="aging">
      <Loaded state={state} what="the aging report">
        {(a) => (
          <>
            {a.currencies.length > 1 && (
              <div class="actions-row">
                {a.currencies.map((c) => (
                  <button type="button" class={c === a.currency ? '' : 'ghost'} onClick={() => setCurrency(c)}>
                    {c}
                  </button>
                ))}
              </div>
            )}
            <div class="stats">
              {BUCKETS.map((b) => (
                <Stat
                  label={b === 'current' ? 'not yet due' : `${b} days late`}
                  value={<span class="money">{fmtMoney(a.buckets[b] ?? 0)}</span>}
                  tone={b === 'current' || !a.buckets[b] ? 'ok' : b === '1-30' ? 'warn' : 'bad'}
                />
              ))}
              <Stat label="customer credit" value={<span class="money">{fmtMoney(a.creditMinor ?? 0)}</span>} />
            </div>
            {a.customers.some((c) => c.totalMinor > (c.buckets.current ?? 0)) && (
              <table>
                <thead>
                  <tr>
                    <th>Overdue customer</th>
                    <th>Invoices</th>
                    {BUCKETS.slice(1).map((b) => (
                      <th class="r">{b}</th>
                    ))}
                    <th class="r">Total open</th>
                    <th class="r">Credit</th>
                  </tr>
                </thead>
                <tbody>
                  {a.customers
                    .filter((c) => c.totalMinor > (c.buckets.current ?? 0))
                    .map((c) => (
                      <tr>
                        <td>
                          <Link to={`/customers/${c.customerId}`}>{c.name}</Link>
                        </td>
                        <td>{c.invoices}</td>
                        {BUCKETS.slice(1).map((b) => (
                          <td class="r num">{c.buckets[b] ? fmtMoney(c.buckets[b]!) : ''}</td>
                        ))}
                        <td class="r num">
                          <b>{fmtMoney(c.totalMinor)}</b>
                        </td>
                        <td class="r num">{c.creditMinor ? fmtMoney(c.creditMinor) : ''}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Loaded>
    </Card>
  );
}

function InvoiceTable(props: { reloadKey?: number; canPay?: boolean; onPaid?: () => void }) {
  const [status, setStatus] = useState('');
  const [paying, setPaying] = useState<string | null>(null);
  const state = useAsync(() => api<Page<Invoice>>(`/invoices${qs({ status, limit: 100 })}`), [status, props.reloadKey]);
  const [error, setError] = useState<string | null>(null);
  return (
    <Card
      title="Invoices"
      testid="invoices"
      actions={
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} aria-label="Invoice status">
          <option value="">All</option>
          <option value="ISSUED">Issued</option>
          <option value="PAID">Paid</option>
          <option value="VOID">Void</option>
        </select>
      }
    >
      {error && <div class="notice bad">{error}</div>}
      <Loaded state={state} what="invoices">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No invoices.</Empty>
          ) : (
            <table class="rows">
              <thead>
                <tr>
                  <th>Number</th>
                  <th>Period</th>
                  <th>Status</th>
                  <th class="r">Total</th>
                  <th class="r">Balance</th>
                  <th>Issued</th>
                  <th>Due</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((i) => (
                  <>
                    <tr>
                      <td>
                        <b>{i.number ?? 'draft'}</b>
                      </td>
                      <td>{i.period}</td>
                      <td>
                        <Badge value={i.status} />
                      </td>
                      <td class="r num">{fmtMoney(i.totalMinor, i.currency)}</td>
                      <td class="r num">{fmtMoney(i.balanceMinor, i.currency)}</td>
                      <td>{fmtDate(i.issuedAt)}</td>
                      <td>{fmtDate(i.dueAt)}</td>
                      <td>
                        <button
                          type="button"
                          class="ghost small"
                          onClick={() =>
                            void download(`/invoices/${i.id}.pdf`, `${i.number ?? i.id}.pdf`).catch((e: Error) => setError(e.message))
                          }
                        >
                          PDF
                        </button>
                        {props.canPay && i.status === 'ISSUED' && i.balanceMinor > 0 && (
                          <button type="button" class="ghost small" onClick={() => setPaying(paying === i.id ? null : i.id)}>
                            Payment
                          </button>
                        )}
                      </td>
                    </tr>
                    {paying === i.id && (
                      <tr>
                        <td colSpan={8}>
                          <PaymentForm
                            invoice={i}
                            onDone={() => {
                              setPaying(null);
                              state.reload();
                              props.onPaid?.();
                            }}
                          />
                        </td>
                      </tr>
                    )}
                  </>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </Card>
  );
}

function BillingRuns(props: { onFinished: () => void }) {
  const [period, setPeriod] = useState(lastPeriod());
  const runs = useAsync(() => api<{ items: BillingRun[] }>(`/billing-runs`), []);
  const [active, setActive] = useState<BillingRun | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!active || active.status === 'COMPLETED' || active.status === 'FAILED') return;
    const t = setInterval(async () => {
      try {
        const r = await api<BillingRun>(`/billing-runs/${active.id}`);
        setActive(r);
        if (r.status === 'COMPLETED' || r.status === 'FAILED') {
          runs.reload();
          props.onFinished();
        }
      } catch (e) {
        setError(e);
      }
    }, 1000);
    return () => clearInterval(t);
  }, [active?.id, active?.status]);

  async function start(e: Event) {
    e.preventDefault();
    try {
      setActive(await api<BillingRun>('/billing-runs', { method: 'POST', body: { period } }));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <Card title="Billing runs" testid="billing-runs">
      <form class="filters" onSubmit={start}>
        <label class="inline">
          Period <input type="month" value={period} onInput={(e) => setPeriod(e.currentTarget.value)} required />
        </label>
        <button type="submit" class="primary">
          Start billing run
        </button>
      </form>
      {error ? <ErrorBox error={error} what="billing runs" /> : null}
      {active && (
        <div class="run" data-testid="billing-progress">
          <div class="run-head">
            <b>{active.period}</b> <Badge value={active.status} />
            <span class="muted">
              {active.processedContracts}/{active.totalContracts} contracts · {active.invoicesCreated} invoices
              {active.failedContracts ? ` · ${active.failedContracts} failed` : ''}
            </span>
          </div>
          <div class="progress">
            <span style={{ width: `${active.percent}%` }} />
          </div>
        </div>
      )}
      <Loaded state={runs} what="billing runs">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No billing runs yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Period</th>
                  <th>Status</th>
                  <th>Contracts</th>
                  <th>Invoices</th>
                  <th>Started</th>
                  <th>Finished</th>
                </tr>
              </thead>
              <tbody>
                {p.items.slice(0, 12).map((r) => (
                  <tr>
                    <td>{r.period}</td>
                    <td>
                      <Badge value={r.status} />
                    </td>
                    <td>
                      {r.processedContracts}/{r.totalContracts}
                    </td>
                    <td>{r.invoicesCreated}</td>
                    <td>{fmtDateTime(r.createdAt)}</td>
                    <td>{fmtDateTime(r.finishedAt)}</td>
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

export function Billing(_props: { session: Session }) {
  const [reloadKey, setReloadKey] = useState(0);
  const [paid, setPaid] = useState(0);
  return (
    <div class="page" data-testid="billing">
      <div class="page-head">
        <h1>Billing</h1>
      </div>
      <BillingRuns onFinished={() => setReloadKey((k) => k + 1)} />
      <InvoiceTable reloadKey={reloadKey} canPay onPaid={() => setPaid((k) => k + 1)} />
      <Aging key={`${reloadKey}-${paid}`} />
    </div>
  );
}

export function Invoices(_props: { session: Session }) {
  return (
    <div class="page" data-testid="invoices-page">
      <div class="page-head">
        <h1>Invoices</h1>
      </div>
      <InvoiceTable />
    </div>
  );
}
