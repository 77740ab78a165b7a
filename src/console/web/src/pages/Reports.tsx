// Management KPIs of a month (finance, sales, operations) and customer value segments.
import { useMemo, useState } from 'preact/hooks';
import type { CustomerValue, PeriodKpis } from '../../../../api-types';
import { api, download } from '../api';
import { BarChart } from '../components/BarChart';
import { Badge, Card, Empty, Link, Loaded, Stat, useAsync } from '../components/ui';
import { fmtMoney, fmtNum } from '../format';
import type { Session } from '../session';

const pct = (bp: number) => `${(bp / 100).toFixed(1)} %`;
const dayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: '2-digit', month: 'short' });
const SEGMENT_TONE: Record<string, string> = {
  HIGH: 'ok',
  MEDIUM: 'info',
  LOW: 'muted',
  RELIABLE: 'ok',
  IRREGULAR: 'warn',
  POOR: 'bad',
  NO_HISTORY: 'muted',
};

function thisPeriod(): string {
  const now = new Date(Date.now() + 8 * 3600_000);
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function Reports(_props: { session: Session }) {
  const [period, setPeriod] = useState(thisPeriod());
  const kpis = useAsync(() => api<PeriodKpis>(`/reports/kpis?period=${period}`), [period]);
  const value = useAsync(() => api<{ items: CustomerValue[] }>(`/reports/customer-value?period=${period}`), [period]);
  const [error, setError] = useState<string | null>(null);
  return (
    <div class="page" data-testid="reports">
      <div class="page-head">
        <h1>Reports</h1>
        <label class="inline">
          Month <input type="month" value={period} onInput={(e) => e.currentTarget.value && setPeriod(e.currentTarget.value)} />
        </label>
        <button
          type="button"
          class="ghost small push-right"
          onClick={() =>
            void download(`/reports/kpis?period=${period}&format=csv`, `kpis-${period}.csv`).catch((e: Error) => setError(e.message))
          }
        >
          KPIs as CSV
        </button>
        <button
          type="button"
          class="ghost small"
          onClick={() =>
            void download(`/reports/customer-value?period=${period}&format=csv`, `customer-value-${period}.csv`).catch((e: Error) =>
              setError(e.message),
            )
          }
        >
          Customer value as CSV
        </button>
      </div>
      {error && <div class="notice bad">{error}</div>}
      <Loaded state={kpis} what="the KPIs">
        {(k) => <KpiView k={k} />}
      </Loaded>
      <Card title="Customer value (12 months)" testid="customer-value">
        <Loaded state={value} what="customer value">
          {(v) =>
            v.items.length === 0 ? (
              <Empty>No invoiced customers in the 12 months to {period}.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Customer</th>
                    <th class="r">Revenue</th>
                    <th class="r">Margin</th>
                    <th class="r">Invoices</th>
                    <th class="r">Paid on time</th>
                    <th>Value</th>
                    <th>Payment</th>
                  </tr>
                </thead>
                <tbody>
                  {v.items.slice(0, 25).map((c) => (
                    <tr>
                      <td>
                        <Link to={`/customers/${c.customerId}`}>{c.name}</Link>
                      </td>
                      <td class="r num">{fmtMoney(c.revenueMinor)}</td>
                      <td class="r num">{fmtMoney(c.marginMinor)}</td>
                      <td class="r num">{c.invoices}</td>
                      <td class="r num">{pct(c.paidOnTimeBp)}</td>
                      <td>
                        <Badge value={c.valueSegment} tone={SEGMENT_TONE[c.valueSegment]} />
                      </td>
                      <td>
                        <Badge value={c.paymentBehaviour} tone={SEGMENT_TONE[c.paymentBehaviour]} />
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

function KpiView(props: { k: PeriodKpis }) {
  const { k } = props;
  // Every day of the month, with zeros where the API has no row, so the axis spans the month.
  const series = useMemo(() => {
    const [y, m] = k.period.split('-').map(Number) as [number, number];
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const byDay = new Map(k.messagesPerDay.map((d) => [d.day.slice(0, 10), d.messages]));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let d = 1; d <= days; d++) {
      const day = `${k.period}-${String(d).padStart(2, '0')}`;
      xs.push(Date.parse(`${day}T00:00:00Z`) / 1000);
      ys.push(byDay.get(day) ?? 0);
    }
    return { xs, ys };
  }, [k]);
  return (
    <>
      <div class="stats" data-testid="kpis">
        <Stat
          label="Revenue"
          value={<span class="money">{fmtMoney(k.revenueMinor)}</span>}
          sub={`${fmtNum(k.invoicedCustomers)} customers invoiced`}
        />
        <Stat label="ARPU" value={<span class="money">{fmtMoney(k.arpuMinor)}</span>} sub="per invoiced customer" />
        <Stat label="New customers" value={fmtNum(k.newCustomers)} tone="ok" />
        <Stat
          label="Churn"
          value={pct(k.churnRateBp)}
          sub={`${fmtNum(k.churnedCustomers)} of ${fmtNum(k.activeCustomersAtStart)}`}
          tone={k.churnRateBp > 200 ? 'bad' : 'ok'}
        />
        <Stat
          label="Collected on time"
          value={pct(k.collectionScoreBp)}
          sub={`${fmtNum(k.invoicesPaidOnTime)} of ${fmtNum(k.invoicesDue)} invoices due`}
          tone={k.invoicesDue && k.collectionScoreBp < 9000 ? 'warn' : 'ok'}
        />
      </div>
      <div class="grid-2-1">
        <Card title="Messages per day" actions={<span class="muted small">{k.period}</span>}>
          {series.ys.every((n) => n === 0) ? (
            <Empty>No traffic in {k.period}.</Empty>
          ) : (
            <BarChart xs={series.xs} ys={series.ys} label="messages" xFormat={(s) => dayFmt.format(new Date(s * 1000))} />
          )}
        </Card>
        <Card title="Terminals by status">
          <table>
            <tbody>
              {Object.entries(k.terminalsByStatus).map(([s, n]) => (
                <tr>
                  <td>
                    <Badge value={s} />
                  </td>
                  <td class="r num">
                    <b>{fmtNum(n)}</b>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
      <Card title="Tickets by group">
        <table>
          <thead>
            <tr>
              <th>Group</th>
              <th class="r">Open</th>
              <th class="r">First response late</th>
              <th class="r">Resolution late</th>
            </tr>
          </thead>
          <tbody>
            {k.ticketsByGroup.map((g) => (
              <tr>
                <td>{g.group.replace('_', ' ').toLowerCase()}</td>
                <td class="r num">{fmtNum(g.open)}</td>
                <td class={`r num ${g.firstResponseBreached ? 'bad-text' : ''}`}>{fmtNum(g.firstResponseBreached)}</td>
                <td class={`r num ${g.resolutionBreached ? 'bad-text' : ''}`}>{fmtNum(g.resolutionBreached)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
