// Finance: import a bank statement CSV, then work the queue: accept suggestions, assign lines
// by hand to an invoice or to a customer's credit, or dismiss them.
import { useState } from 'preact/hooks';
import { api, type Page, qs } from '../api';
import { Badge, Card, Empty, ErrorBox, Loaded, Stat, useAsync } from '../components/ui';
import { fmtDate, fmtMoney } from '../format';
import type { Session } from '../session';

interface Line {
  id: string;
  lineNumber: number;
  bookedOn: string;
  amountMinor: number;
  currency: string;
  payer: string;
  reference: string;
  status: string;
  note: string;
  invoice: { id: string; number: string | null; status: string; balanceMinor: number } | null;
  customer: { id: string; name: string | null } | null;
  paymentId: string | null;
}
interface ImportResult {
  lines: number;
  newLines: number;
  MATCHED: number;
  SUGGESTED: number;
  UNMATCHED: number;
  DISMISSED: number;
}
interface OpenInvoice {
  id: string;
  number: string | null;
  period: string;
  balanceMinor: number;
  currency: string;
}

function ImportForm(props: { onImported: () => void }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function send(csv: string) {
    setBusy(true);
    setError(null);
    try {
      setResult(await api<ImportResult>('/billing/bank-statements', { method: 'POST', text: { body: csv, contentType: 'text/csv' } }));
      props.onImported();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Import a bank statement" testid="bank-import">
      <p class="muted small">
        CSV with a header row: date,amount,payer,reference (currency optional). Importing the same lines again changes nothing.
      </p>
      <div class="filters">
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label="Statement file"
          onChange={async (e) => {
            const file = e.currentTarget.files?.[0];
            if (file) await send(await file.text());
          }}
        />
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send(text);
        }}
      >
        <textarea
          name="csv"
          rows={5}
          placeholder={'date,amount,payer,reference\n2026-12-01,31.69,Fleet Ltd,NX-2026-000123'}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={busy || !text.trim()}>
          Import
        </button>
      </form>
      {error ? <ErrorBox error={error} what="the statement" /> : null}
      {result && (
        <div class="stats" data-testid="bank-import-result">
          <Stat label="lines in file" value={result.lines} />
          <Stat label="new lines" value={result.newLines} />
          <Stat label="posted" value={result.MATCHED} tone="ok" />
          <Stat label="suggested" value={result.SUGGESTED} tone={result.SUGGESTED ? 'warn' : 'ok'} />
          <Stat label="unmatched" value={result.UNMATCHED} tone={result.UNMATCHED ? 'bad' : 'ok'} />
        </div>
      )}
    </Card>
  );
}

/** Assign by hand: pick the customer, then one of its open invoices or its credit. */
function AssignForm(props: { line: Line; customers: { id: string; name: string }[]; onDone: () => void }) {
  const [customerId, setCustomerId] = useState(props.line.customer?.id ?? '');
  const [invoiceId, setInvoiceId] = useState(props.line.invoice?.id ?? '');
  const [error, setError] = useState<unknown>(null);
  const invoices = useAsync(
    () =>
      customerId ? api<Page<OpenInvoice>>(`/invoices${qs({ customerId, status: 'ISSUED', limit: 100 })}`) : Promise.resolve({ items: [] }),
    [customerId],
  );
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api(`/billing/bank-statement-lines/${props.line.id}/assign`, {
        method: 'POST',
        body: invoiceId ? { invoiceId } : { customerId },
      });
      props.onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="filters" onSubmit={submit} data-testid="assign-form">
      <select
        value={customerId}
        onChange={(e) => {
          setCustomerId(e.currentTarget.value);
          setInvoiceId('');
        }}
        aria-label="Customer"
        required
      >
        <option value="">Customer…</option>
        {props.customers.map((c) => (
          <option value={c.id}>{c.name}</option>
        ))}
      </select>
      <select value={invoiceId} onChange={(e) => setInvoiceId(e.currentTarget.value)} aria-label="Invoice">
        <option value="">To the customer's credit</option>
        {(invoices.data?.items ?? [])
          .filter((i) => i.balanceMinor > 0)
          .map((i) => (
            <option value={i.id}>
              {i.number} ({i.period}) open {fmtMoney(i.balanceMinor, i.currency)}
            </option>
          ))}
      </select>
      <button type="submit" class="primary small" disabled={!customerId}>
        Assign
      </button>
      {error ? <ErrorBox error={error} what="the assignment" /> : null}
    </form>
  );
}

function Queue(props: { reloadKey: number }) {
  const [status, setStatus] = useState('SUGGESTED');
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const lines = useAsync(() => api<{ items: Line[] }>(`/billing/bank-statement-lines${qs({ status })}`), [status, props.reloadKey]);
  const customers = useAsync(() => api<Page<{ id: string; name: string }>>(`/customers${qs({ kind: 'END_USER', limit: 200 })}`), []);

  async function act(line: Line, action: 'accept' | 'dismiss') {
    setError(null);
    try {
      if (action === 'accept')
        await api(`/billing/bank-statement-lines/${line.id}/assign`, {
          method: 'POST',
          body: line.invoice ? { invoiceId: line.invoice.id } : { customerId: line.customer?.id },
        });
      else {
        const reason = prompt('Why is this line not a customer payment?');
        if (!reason) return;
        await api(`/billing/bank-statement-lines/${line.id}/dismiss`, { method: 'POST', body: { reason } });
      }
      lines.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <Card
      title="Statement lines"
      testid="bank-queue"
      actions={
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} aria-label="Line status">
          <option value="SUGGESTED">Suggested</option>
          <option value="UNMATCHED">Unmatched</option>
          <option value="MATCHED">Posted automatically</option>
          <option value="ASSIGNED">Assigned by hand</option>
          <option value="DISMISSED">Dismissed</option>
        </select>
      }
    >
      {error ? <ErrorBox error={error} what="the line" /> : null}
      <Loaded state={lines} what="statement lines">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No lines here.</Empty>
          ) : (
            <table class="rows">
              <thead>
                <tr>
                  <th>Date</th>
                  <th class="r">Amount</th>
                  <th>Payer</th>
                  <th>Reference</th>
                  <th>Status</th>
                  <th>Found</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((l) => (
                  <>
                    <tr>
                      <td>{fmtDate(l.bookedOn)}</td>
                      <td class="r num">{fmtMoney(l.amountMinor, l.currency)}</td>
                      <td>{l.payer}</td>
                      <td>{l.reference}</td>
                      <td>
                        <Badge value={l.status} />
                      </td>
                      <td class="small">
                        {l.note}
                        {l.customer?.name ? <div class="muted">{l.customer.name}</div> : null}
                      </td>
                      <td>
                        {(l.status === 'SUGGESTED' || l.status === 'UNMATCHED') && (
                          <>
                            {l.status === 'SUGGESTED' && (l.invoice || l.customer) && (
                              <button type="button" class="ghost small" onClick={() => void act(l, 'accept')}>
                                {l.invoice ? `Pay ${l.invoice.number}` : 'To credit'}
                              </button>
                            )}
                            <button type="button" class="ghost small" onClick={() => setOpen(open === l.id ? null : l.id)}>
                              Assign…
                            </button>
                            <button type="button" class="ghost small" onClick={() => void act(l, 'dismiss')}>
                              Dismiss
                            </button>
                          </>
                        )}
                      </td>
                    </tr>
                    {open === l.id && (
                      <tr>
                        <td colSpan={7}>
                          <AssignForm
                            line={l}
                            customers={customers.data?.items ?? []}
                            onDone={() => {
                              setOpen(null);
                              lines.reload();
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

export function BankStatements(_props: { session: Session }) {
  const [reloadKey, setReloadKey] = useState(0);
  return (
    <div class="page" data-testid="bank-statements">
      <div class="page-head">
        <h1>Bank statements</h1>
      </div>
      <ImportForm onImported={() => setReloadKey((k) => k + 1)} />
      <Queue reloadKey={reloadKey} />
    </div>
  );
}
