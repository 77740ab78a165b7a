// Outgoing mail: every invoice, reminder, usage alert and page the platform sent or tried to send,
// with its delivery state; failed ones can be sent again, each downloads as an .eml file.
import { useState } from 'preact/hooks';
import type { Json, OutgoingMailAnswer } from '../../../../api-types';
import { api, download, type Page, qs } from '../api';
import { Badge, Card, Empty, Loaded, useAsync } from '../components/ui';
import { fmtDateTime } from '../format';
import type { Session } from '../session';

type Mail = Json<OutgoingMailAnswer>;

const TONE: Record<string, string> = { SENT: 'ok', QUEUED: 'warn', FAILED: 'bad', NO_RECIPIENT: 'bad' };

export function OutgoingMail(_props: { session: Session }) {
  const [status, setStatus] = useState('');
  const [kind, setKind] = useState('');
  const [error, setError] = useState<string | null>(null);
  const state = useAsync(() => api<Page<Mail>>(`/outgoing-mail${qs({ status, kind, limit: 100 })}`), [status, kind], 10_000);
  async function retry(m: Mail) {
    try {
      await api(`/outgoing-mail/${m.id}/retry`, { method: 'POST' });
      setError(null);
      state.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <div class="page" data-testid="outgoing-mail-page">
      <div class="page-head">
        <h1>Outgoing mail</h1>
      </div>
      <Card
        title="Messages"
        testid="outgoing-mail"
        actions={
          <>
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value)} aria-label="Kind">
              <option value="">All kinds</option>
              <option value="invoice">Invoices</option>
              <option value="reminder">Reminders</option>
              <option value="usage-alert">Usage alerts</option>
              <option value="page">Pages</option>
            </select>
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} aria-label="Status">
              <option value="">Any status</option>
              <option value="QUEUED">Queued</option>
              <option value="SENT">Sent</option>
              <option value="FAILED">Failed</option>
              <option value="NO_RECIPIENT">No recipient</option>
            </select>
          </>
        }
      >
        {error && <div class="notice bad">{error}</div>}
        <Loaded state={state} what="outgoing mail">
          {(p) =>
            p.items.length === 0 ? (
              <Empty>No messages.</Empty>
            ) : (
              <table class="rows">
                <thead>
                  <tr>
                    <th>Created</th>
                    <th>To</th>
                    <th>Subject</th>
                    <th>Status</th>
                    <th class="r">Attempts</th>
                    <th>Last error</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((m) => (
                    <tr key={m.id} data-testid="mail-row">
                      <td>{fmtDateTime(m.createdAt)}</td>
                      <td>{m.to ?? <span class="muted">none</span>}</td>
                      <td>
                        {m.subject}
                        {m.attachments.length > 0 && <div class="muted small">{m.attachments.join(', ')}</div>}
                      </td>
                      <td>
                        <Badge value={m.status} tone={TONE[m.status]} />
                        {m.transport && <div class="muted small">{m.transport === 'file' ? 'written to file' : 'SMTP'}</div>}
                      </td>
                      <td class="r num">{m.attempts}</td>
                      <td class="small">{m.lastError ?? ''}</td>
                      <td>
                        {m.to && (
                          <button
                            type="button"
                            class="ghost small"
                            onClick={() =>
                              void download(`/outgoing-mail/${m.id}.eml`, `${m.id}.eml`).catch((e: Error) => setError(e.message))
                            }
                          >
                            .eml
                          </button>
                        )}
                        {m.status === 'FAILED' && (
                          <button type="button" class="ghost small" onClick={() => void retry(m)}>
                            Send again
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
    </div>
  );
}
