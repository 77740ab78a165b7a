// One box for the whole console: terminals, customers, tickets, invoices and contracts, each
// limited by the server to what the signed-in user may see. "/" or Ctrl+K focuses it.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SearchAnswer } from '../../../../api-types';
import { api, qs } from '../api';
import { fmtMoney } from '../format';
import { navigate } from '../router';
import type { Session } from '../session';

interface Hit {
  key: string;
  section: string;
  title: string;
  detail: string;
  to: string;
}

function hitsOf(a: SearchAnswer, session: Session): Hit[] {
  const portal = session.role === 'CUSTOMER';
  return [
    ...a.terminals.map((t) => ({
      key: `t-${t.serial}`,
      section: 'Terminals',
      title: t.serial,
      detail: [t.label, t.address, t.customerName, t.status.toLowerCase()].filter(Boolean).join(' · '),
      to: `/terminals/${encodeURIComponent(t.serial)}`,
    })),
    ...a.customers.map((c) => ({
      key: `c-${c.id}`,
      section: 'Customers',
      title: c.name,
      detail: [c.kind === 'CONTRACTOR' ? 'contractor' : 'end user', c.city, c.status.toLowerCase()].filter(Boolean).join(' · '),
      to: `/customers/${c.id}`,
    })),
    ...a.tickets.map((t) => ({
      key: `k-${t.id}`,
      section: 'Tickets',
      title: `#${t.number} ${t.subject}`,
      detail: `${t.status.toLowerCase()} · ${t.priority.toLowerCase()}`,
      to: `/tickets/${t.id}`,
    })),
    ...a.invoices.map((i) => ({
      key: `i-${i.id}`,
      section: 'Invoices',
      title: i.number ?? `draft ${i.period}`,
      detail: `${i.customerName} · ${i.period} · ${fmtMoney(i.totalMinor, i.currency)} · ${i.status.toLowerCase()}`,
      to: portal ? '/invoices' : `/customers/${i.customerId}`,
    })),
    ...a.contracts.map((c) => ({
      key: `n-${c.id}`,
      section: 'Contracts',
      title: c.number,
      detail: `${c.customerName} · ${c.status.toLowerCase()}`,
      to: portal ? '/' : `/customers/${c.customerId}`,
    })),
  ];
}

export function SearchBox(props: { session: Session }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [active, setActive] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      if ((e.key === '/' && !typing) || (e.key.toLowerCase() === 'k' && (e.ctrlKey || e.metaKey))) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const query = q.trim();
    if (query.length < 2) {
      setHits(null);
      return;
    }
    // Typing fast sends one request per pause, and a slow answer never overwrites a newer one.
    let stale = false;
    const timer = setTimeout(() => {
      api<SearchAnswer>(`/search${qs({ q: query, limit: 5 })}`)
        .then((a) => {
          if (stale) return;
          setHits(hitsOf(a, props.session));
          setActive(0);
          setError(null);
        })
        .catch((e: Error) => !stale && setError(e.message));
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [q, props.session]);

  const go = (hit: Hit | undefined) => {
    if (!hit) return;
    setQ('');
    setHits(null);
    input.current?.blur();
    navigate(hit.to);
  };

  return (
    <div class="search">
      <input
        ref={input}
        type="search"
        value={q}
        aria-label="Search terminals, customers, tickets, invoices and contracts"
        placeholder="Search serial, customer, #ticket, invoice…  ( / )"
        data-testid="global-search"
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setQ('');
            setHits(null);
          } else if (e.key === 'ArrowDown' && hits?.length) {
            e.preventDefault();
            setActive((active + 1) % hits.length);
          } else if (e.key === 'ArrowUp' && hits?.length) {
            e.preventDefault();
            setActive((active - 1 + hits.length) % hits.length);
          } else if (e.key === 'Enter') go(hits?.[active]);
        }}
      />
      {(hits || error) && (
        <div class="search-results" data-testid="search-results">
          {error && <div class="search-empty">{error}</div>}
          {hits && hits.length === 0 && <div class="search-empty">Nothing found for “{q.trim()}”</div>}
          {hits?.map((h, i) => {
            const header = h.section !== hits[i - 1]?.section ? h.section : null;
            return (
              <>
                {header && <div class="search-section">{header}</div>}
                <button
                  type="button"
                  key={h.key}
                  class={`search-hit${i === active ? ' active' : ''}`}
                  onMouseDown={(e) => {
                    // Before the input's blur, so the click lands.
                    e.preventDefault();
                    go(h);
                  }}
                >
                  <span class="search-title">{h.title}</span>
                  <small>{h.detail}</small>
                </button>
              </>
            );
          })}
        </div>
      )}
    </div>
  );
}
