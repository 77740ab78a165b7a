// Working a ticket (staff): take it, escalate to repair or system, resolve with a note and
// optionally save the fix to the knowledge base; plus the knowledge base's suggestions.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Card, Empty, Loaded, useAsync } from '../components/ui';
import type { Session } from '../session';

export interface WorkableTicket {
  id: string;
  subject: string;
  description: string | null;
  status: string;
  group: string;
  faultCode: number | null;
  assigneeId?: string | null;
}

interface Article {
  id: string;
  title: string;
  symptoms: string;
  cause?: string | null;
  solution: string;
}

const CLOSED = ['RESOLVED', 'CLOSED', 'MERGED'];

export function KbSuggestions(props: { ticketId: string; onUse: (solution: string) => void }) {
  const state = useAsync(() => api<{ items: Article[] }>(`/tickets/${props.ticketId}/suggestions`), [props.ticketId]);
  return (
    <Card title="Knowledge base suggestions" testid="kb-suggestions">
      <Loaded state={state} what="suggestions">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No matching articles.</Empty>
          ) : (
            <ul class="plain">
              {p.items.map((a) => (
                <li>
                  <b>{a.title}</b>
                  <div class="muted small">{a.symptoms.slice(0, 160)}</div>
                  <div class="small">{a.solution.slice(0, 280)}</div>
                  <button
                    type="button"
                    class="ghost small"
                    onClick={() => {
                      void api(`/knowledge-articles/${a.id}/used`, { method: 'POST' }).catch(() => {});
                      props.onUse(a.solution);
                    }}
                  >
                    Use this solution
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </Card>
  );
}

export function TicketActions(props: {
  ticket: WorkableTicket;
  session: Session;
  onChanged: () => void;
  note: string;
  setNote: (s: string) => void;
}) {
  const t = props.ticket;
  const [saveKb, setSaveKb] = useState(true);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ bad: boolean; text: string } | null>(null);
  if (CLOSED.includes(t.status)) return null;

  async function act(label: string, patch: Record<string, unknown>, after?: () => Promise<void>) {
    setBusy(true);
    try {
      await api(`/tickets/${t.id}`, { method: 'PATCH', body: patch });
      if (after) await after();
      setMsg({ bad: false, text: label });
      props.onChanged();
    } catch (err) {
      setMsg({ bad: true, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  }
  const note = props.note.trim();

  return (
    <Card title="Work this ticket" testid="ticket-actions">
      <div class="actions-row">
        {t.assigneeId !== props.session.userId && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void act('Assigned to you', { assigneeId: props.session.userId, status: 'IN_PROGRESS' })}
          >
            Take it
          </button>
        )}
        {t.group !== 'REPAIR' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void act('Escalated to repair', { group: 'REPAIR', status: 'ESCALATED', ...(note ? { note } : {}) })}
          >
            Escalate to repair
          </button>
        )}
        {t.group !== 'SYSTEM' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void act('Escalated to system', { group: 'SYSTEM', status: 'ESCALATED', ...(note ? { note } : {}) })}
          >
            Escalate to system
          </button>
        )}
      </div>
      <textarea
        rows={3}
        placeholder="What was done / the fix (needed to resolve)"
        value={props.note}
        onInput={(e) => props.setNote(e.currentTarget.value)}
        data-testid="resolution-note"
      />
      <div class="actions-row">
        <label class="inline">
          <input type="checkbox" checked={saveKb} onChange={(e) => setSaveKb(e.currentTarget.checked)} /> save the fix to the knowledge base
        </label>
        <button
          type="button"
          class="primary"
          disabled={busy || !note}
          data-testid="resolve"
          onClick={() =>
            void act(`Resolved${saveKb ? ' and saved to the knowledge base' : ''}`, { status: 'RESOLVED', note }, async () => {
              if (!saveKb) return;
              await api('/knowledge-articles', {
                method: 'POST',
                body: {
                  title: t.subject,
                  symptoms: t.description ?? t.subject,
                  solution: note,
                  faultCodes: t.faultCode !== null ? [t.faultCode] : [],
                  sourceTicketId: t.id,
                },
              });
            })
          }
        >
          Resolve
        </button>
      </div>
      {msg && (
        <div class={msg.bad ? 'bad-text' : 'ok-text'} data-testid="ticket-action-result">
          {msg.text}
        </div>
      )}
    </Card>
  );
}
