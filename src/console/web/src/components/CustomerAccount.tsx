// A customer's account on its page: what is open, the credit it holds, the statement of
// account (with a CSV download) and, for finance, a refund of credit.
import { useState } from 'preact/hooks';
import { api, download, qs } from '../api';
import { fmtDateTime, fmtMoney } from '../format';
import type { Role } from '../session';
import { Card, Empty, ErrorBox, Loaded, Stat, useAsync } from './ui';

interface Balance {
  currency: string;
  openInvoices: number;
  openMinor: number;
  overdueMinor: number;
  creditMinor: number;
  netMinor: number;
}
interface Statement {
  currency: string;
  entries: {
    at: string;
    kind: string;
    document: string;
    description: string;
    debitMinor: number;
    creditMinor: number;
    balanceMinor: number;
  }[];
  closingBalanceMinor: number;
  creditAvailableMinor: number;
}

/** Roles that may read a customer's account (the API scopes contractors and customers). */
export const ACCOUNT_ROLES: Role[] = ['ADMIN', 'FINANCE', 'SALES', 'CONTRACTOR', 'CUSTOMER'];

function RefundForm(props: { customerId: string; currency: string; max: number; onDone: () => void }) {
  const [amount, setAmount] = useState((props.max / 100).toFixed(2));
  const [reason, setReason] = useState('');
  const [reference, setReference] = useState('');
  const [key] = useState(() => crypto.randomUUID());
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api(`/customers/${props.customerId}/credit-refunds`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: {
          amountMinor: Math.round(Number(amount) * 100),
          currency: props.currency,
          reason: reason.trim(),
          reference: reference.trim(),
        },
      });
      props.onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="filters" onSubmit={submit} data-testid="refund-form">
      <input name="amount" type="number" step="0.01" min="0.01" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} required />
      <input name="reason" placeholder="Reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required />
      <input
        name="reference"
        placeholder="Transfer reference"
        value={reference}
        onInput={(e) => setReference(e.currentTarget.value)}
        required
      />
      <button type="submit" class="primary small">
        Refund credit
      </button>
      {error ? <ErrorBox error={error} what="the refund" /> : null}
    </form>
  );
}

export function CustomerAccount(props: { customerId: string; role: Role }) {
  const [currency, setCurrency] = useState('CNY');
  const [refunding, setRefunding] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const balance = useAsync(() => api<{ balances: Balance[] }>(`/customers/${props.customerId}/balance`), [props.customerId]);
  const statement = useAsync(
    () => api<Statement>(`/customers/${props.customerId}/statement${qs({ currency })}`),
    [props.customerId, currency],
  );
  const reload = () => {
    balance.reload();
    statement.reload();
  };
  return (
    <Card
      title="Account"
      testid="customer-account"
      actions={
        <button
          type="button"
          class="ghost small"
          onClick={() =>
            void download(`/customers/${props.customerId}/statement.csv${qs({ currency })}`, 'statement.csv').catch((e: unknown) =>
              setError(e),
            )
          }
        >
          Statement CSV
        </button>
      }
    >
      {error ? <ErrorBox error={error} what="the statement" /> : null}
      <Loaded state={balance} what="the balance">
        {(b) =>
          b.balances.length === 0 ? (
            <Empty>Nothing open and no credit.</Empty>
          ) : (
            <>
              {b.balances.length > 1 && (
                <div class="actions-row">
                  {b.balances.map((x) => (
                    <button type="button" class={x.currency === currency ? '' : 'ghost'} onClick={() => setCurrency(x.currency)}>
                      {x.currency}
                    </button>
                  ))}
                </div>
              )}
              {b.balances
                .filter((x) => x.currency === currency)
                .map((x) => (
                  <div class="stats" data-testid="customer-balance">
                    <Stat
                      label={`open (${x.openInvoices} invoices)`}
                      value={<span class="money">{fmtMoney(x.openMinor, x.currency)}</span>}
                    />
                    <Stat
                      label="overdue"
                      value={<span class="money">{fmtMoney(x.overdueMinor, x.currency)}</span>}
                      tone={x.overdueMinor ? 'bad' : 'ok'}
                    />
                    <Stat
                      label="credit"
                      value={<span class="money">{fmtMoney(x.creditMinor, x.currency)}</span>}
                      tone={x.creditMinor ? 'info' : undefined}
                    />
                    <Stat label="owed after credit" value={<span class="money">{fmtMoney(x.netMinor, x.currency)}</span>} />
                  </div>
                ))}
              {(props.role === 'FINANCE' || props.role === 'ADMIN') &&
                b.balances.some((x) => x.currency === currency && x.creditMinor > 0) &&
                (refunding ? (
                  <RefundForm
                    customerId={props.customerId}
                    currency={currency}
                    max={b.balances.find((x) => x.currency === currency)?.creditMinor ?? 0}
                    onDone={() => {
                      setRefunding(false);
                      reload();
                    }}
                  />
                ) : (
                  <button type="button" class="ghost small" onClick={() => setRefunding(true)}>
                    Refund credit…
                  </button>
                ))}
            </>
          )
        }
      </Loaded>
      <Loaded state={statement} what="the statement">
        {(s) =>
          s.entries.length === 0 ? null : (
            <table data-testid="statement">
              <thead>
                <tr>
                  <th>Date</th>
                  <th>Document</th>
                  <th>Description</th>
                  <th class="r">Debit</th>
                  <th class="r">Credit</th>
                  <th class="r">Balance</th>
                </tr>
              </thead>
              <tbody>
                {s.entries.map((e) => (
                  <tr>
                    <td>{fmtDateTime(e.at)}</td>
                    <td>{e.document}</td>
                    <td class="small">{e.description}</td>
                    <td class="r num">{e.debitMinor ? fmtMoney(e.debitMinor, s.currency) : ''}</td>
                    <td class="r num">{e.creditMinor ? fmtMoney(e.creditMinor, s.currency) : ''}</td>
                    <td class="r num">{fmtMoney(e.balanceMinor, s.currency)}</td>
                  </tr>
                ))}
                <tr>
                  <td colSpan={5}>
                    <b>Closing balance</b> <span class="muted small">(negative: in credit)</span>
                  </td>
                  <td class="r num">
                    <b>{fmtMoney(s.closingBalanceMinor, s.currency)}</b>
                  </td>
                </tr>
              </tbody>
            </table>
          )
        }
      </Loaded>
    </Card>
  );
}
