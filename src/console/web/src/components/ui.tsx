// Small shared building blocks: data loading, cards, stats, badges, error and empty states.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { linkHandler } from '../router';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads data on mount and when deps change; optionally refreshes every `refreshMs`. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[], refreshMs?: number): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  // `deps` are the caller's, as with useEffect: the loader is rebuilt when they change.
  const run = useCallback(() => {
    const mine = ++seq.current;
    setLoading(true);
    fn().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, deps);
  useEffect(() => {
    run();
    if (!refreshMs) return;
    const t = setInterval(run, refreshMs);
    return () => clearInterval(t);
  }, [run, refreshMs]);
  return { data, error, loading, reload: run };
}

export function Card(props: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  class?: string;
  children: ComponentChildren;
  testid?: string;
}) {
  return (
    <section class={`card ${props.class ?? ''}`} data-testid={props.testid}>
      {(props.title || props.actions) && (
        <header class="card-head">
          <h2>{props.title}</h2>
          <div class="card-actions">{props.actions}</div>
        </header>
      )}
      <div class="card-body">{props.children}</div>
    </section>
  );
}

export function Stat(props: {
  label: string;
  value: ComponentChildren;
  sub?: ComponentChildren;
  tone?: 'ok' | 'warn' | 'bad' | 'info';
  testid?: string;
}) {
  return (
    <div class={`stat tone-${props.tone ?? 'info'}`} data-testid={props.testid}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.sub !== undefined && <div class="stat-sub">{props.sub}</div>}
    </div>
  );
}

const TONES: Record<string, string> = {
  CRITICAL: 'bad',
  HIGH: 'warn',
  NORMAL: 'info',
  LOW: 'muted',
  ACTIVE: 'ok',
  PROVISIONED: 'info',
  IN_STOCK: 'muted',
  SUSPENDED: 'warn',
  RETIRED: 'muted',
  LOST: 'bad',
  QUEUED: 'muted',
  SENT: 'info',
  DELIVERED: 'info',
  ACKNOWLEDGED: 'ok',
  REJECTED: 'bad',
  FAILED: 'bad',
  EXPIRED: 'warn',
  NEW: 'info',
  TRIAGED: 'info',
  IN_PROGRESS: 'info',
  WAITING_CUSTOMER: 'muted',
  ESCALATED: 'warn',
  VISIT_SCHEDULED: 'info',
  RESOLVED: 'ok',
  CLOSED: 'muted',
  MERGED: 'muted',
  ISSUED: 'info',
  PAID: 'ok',
  OVERDUE: 'bad',
  DRAFT: 'muted',
  VOID: 'muted',
  CREDITED: 'muted',
  RUNNING: 'info',
  COMPLETED: 'ok',
  PENDING: 'muted',
  online: 'ok',
  offline: 'muted',
};

export function Badge(props: { value: string | null | undefined; tone?: string }) {
  if (!props.value) return <span class="muted">—</span>;
  return <span class={`badge tone-${props.tone ?? TONES[props.value] ?? 'info'}`}>{props.value.replace(/_/g, ' ').toLowerCase()}</span>;
}

export function Dot(props: { on: boolean }) {
  return <span class={`dot ${props.on ? 'on' : 'off'}`} title={props.on ? 'online' : 'offline'} />;
}

export function Link(props: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={props.to} class={props.class} onClick={linkHandler(props.to)}>
      {props.children}
    </a>
  );
}

/** Renders loading / error / "not available" for an Async, else the children with the data. */
export function Loaded<T>(props: { state: Async<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { data, error, loading } = props.state;
  if (error && data === undefined) return <ErrorBox error={error} what={props.what} />;
  if (data === undefined) return loading ? <div class="loading">Loading {props.what}…</div> : null;
  return <>{props.children(data)}</>;
}

export function ErrorBox(props: { error: unknown; what: string }) {
  const e = props.error;
  if (e instanceof ApiError && (e.routeMissing || e.status === 404 || e.status === 501)) {
    return (
      <div class="notice" data-testid="not-available">
        {props.what[0]?.toUpperCase()}
        {props.what.slice(1)} not available {e.routeMissing ? 'on this server yet' : 'for your account'}.
      </div>
    );
  }
  return (
    <div class="notice bad">
      Could not load {props.what}: {e instanceof Error ? e.message : String(e)}
    </div>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}
