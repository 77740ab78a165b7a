// Sales: the leads pipeline board, and a contractor's (or finance's) commissions for a month.
import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { Card, Empty, Loaded, useAsync } from '../components/ui';
import { fmtMoney, fmtNum } from '../format';
import type { Session } from '../session';

interface Lead {
  id: string;
  companyName: string;
  contactName: string | null;
  stage: string;
  estimatedValueMinor: number;
  expectedTerminals: number;
  source: string | null;
}
const STAGES = ['NEW', 'QUALIFIED', 'PROPOSAL', 'WON', 'LOST'];
const NEXT: Record<string, string> = { NEW: 'QUALIFIED', QUALIFIED: 'PROPOSAL' };

export function Leads(_props: { session: Session }) {
  const pipeline = useAsync(() => api<{ stages: { stage: string; count: number; estimatedValueMinor: number }[] }>('/leads/pipeline'), []);
  const leads = useAsync(() => api<Page<Lead>>('/leads?limit=500'), []);
  const [company, setCompany] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    pipeline.reload();
    leads.reload();
  };
  const run = (p: Promise<unknown>) =>
    p.then(
      () => {
        setError(null);
        reload();
      },
      (e: Error) => setError(e.message),
    );

  return (
    <div class="page" data-testid="leads">
      <div class="page-head">
        <h1>Leads pipeline</h1>
      </div>
      <Card>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void run(
              api('/leads', {
                method: 'POST',
                body: { companyName: company.trim(), estimatedValueMinor: Math.round(Number(value || '0') * 100) },
              }),
            ).then(() => {
              setCompany('');
              setValue('');
            });
          }}
        >
          <input placeholder="Company" value={company} onInput={(e) => setCompany(e.currentTarget.value)} required />
          <input
            type="number"
            min={0}
            step="0.01"
            placeholder="Estimated value (¥)"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
          <button type="submit" class="primary">
            Add lead
          </button>
        </form>
        {error && <div class="bad-text">{error}</div>}
      </Card>
      <Loaded state={leads} what="leads">
        {(p) => (
          <div class="board">
            {STAGES.map((stage) => {
              const head = pipeline.data?.stages.find((s) => s.stage === stage);
              const items = p.items.filter((l) => l.stage === stage);
              return (
                <section class="column" data-testid={`stage-${stage}`}>
                  <header>
                    <b>{stage.toLowerCase()}</b>
                    <span class="muted small">
                      {fmtNum(head?.count ?? items.length)} · {fmtMoney(head?.estimatedValueMinor ?? 0)}
                    </span>
                  </header>
                  {items.length === 0 && <Empty>—</Empty>}
                  {items.map((l) => (
                    <div class="lead">
                      <b>{l.companyName}</b>
                      <div class="muted small">{[l.contactName, l.source].filter(Boolean).join(' · ')}</div>
                      <div class="small">
                        {fmtMoney(l.estimatedValueMinor)} · {fmtNum(l.expectedTerminals)} terminals
                      </div>
                      <div class="lead-actions">
                        {NEXT[stage] && (
                          <button
                            type="button"
                            class="ghost small"
                            onClick={() => void run(api(`/leads/${l.id}`, { method: 'PATCH', body: { stage: NEXT[stage] } }))}
                          >
                            → {NEXT[stage]!.toLowerCase()}
                          </button>
                        )}
                        {stage === 'PROPOSAL' && (
                          <button
                            type="button"
                            class="ghost small"
                            onClick={() => void run(api(`/leads/${l.id}/convert`, { method: 'POST', body: {} }))}
                          >
                            Win
                          </button>
                        )}
                        {stage !== 'WON' && stage !== 'LOST' && (
                          <button
                            type="button"
                            class="ghost small"
                            onClick={() =>
                              void run(
                                api(`/leads/${l.id}`, { method: 'PATCH', body: { stage: 'LOST', lostReason: 'Marked lost on the board' } }),
                              )
                            }
                          >
                            Lost
                          </button>
                        )}
                      </div>
                    </div>
                  ))}
                </section>
              );
            })}
          </div>
        )}
      </Loaded>
    </div>
  );
}

interface CommissionLine {
  contractorId: string;
  name: string;
  period: string;
  collectedMinor: number;
  rateBp: number;
  amountMinor: number;
  statement: boolean;
}

function previousPeriod(): string {
  const now = new Date(Date.now() + 8 * 3600_000);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function Commissions(_props: { session: Session }) {
  const [period, setPeriod] = useState(previousPeriod());
  const state = useAsync(() => api<{ items: CommissionLine[] }>(`/commissions?period=${period}`), [period]);
  return (
    <div class="page" data-testid="commissions">
      <div class="page-head">
        <h1>Commissions</h1>
      </div>
      <Card>
        <div class="filters">
          <label class="inline">
            Month <input type="month" value={period} onInput={(e) => e.currentTarget.value && setPeriod(e.currentTarget.value)} />
          </label>
        </div>
        <Loaded state={state} what="commissions">
          {(p) =>
            p.items.length === 0 ? (
              <Empty>No commission for {period}.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Contractor</th>
                    <th class="r">Collected</th>
                    <th class="r">Rate</th>
                    <th class="r">Commission</th>
                    <th>Statement</th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((c) => (
                    <tr>
                      <td>{c.name}</td>
                      <td class="r num">{fmtMoney(c.collectedMinor)}</td>
                      <td class="r num">{(c.rateBp / 100).toFixed(2)} %</td>
                      <td class="r num">
                        <b>{fmtMoney(c.amountMinor)}</b>
                      </td>
                      <td>{c.statement ? 'issued' : <span class="muted">provisional</span>}</td>
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
