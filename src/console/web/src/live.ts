// One EventSource per tab on /api/v1/live; components subscribe to batches of compact events.
import { useEffect, useState } from 'preact/hooks';
import type { LiveEvent } from '../../../api-types';
import { loadSession } from './session';

export type { LiveEvent };

type Listener = (events: LiveEvent[]) => void;
type Status = 'connecting' | 'live' | 'reconnecting' | 'off';

const listeners = new Set<Listener>();
const statusListeners = new Set<(s: Status) => void>();
let source: EventSource | null = null;
let status: Status = 'off';
/** The newest events first, kept so a page opened later still shows the recent feed. */
export const recentEvents: LiveEvent[] = [];
const RECENT_MAX = 200;

function setStatus(s: Status): void {
  status = s;
  for (const l of statusListeners) l(s);
}

export function connectLive(): void {
  const session = loadSession();
  if (!session || source) return;
  setStatus('connecting');
  source = new EventSource(`/api/v1/live?access_token=${encodeURIComponent(session.token)}`);
  source.addEventListener('hello', () => setStatus('live'));
  source.onopen = () => setStatus('live');
  source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? 'off' : 'reconnecting');
  source.onmessage = (m: MessageEvent<string>) => {
    let events: LiveEvent[];
    try {
      events = JSON.parse(m.data) as LiveEvent[];
    } catch {
      return;
    }
    for (const e of events) recentEvents.unshift(e);
    recentEvents.length = Math.min(recentEvents.length, RECENT_MAX);
    for (const l of listeners) l(events);
  };
}

export function disconnectLive(): void {
  source?.close();
  source = null;
  recentEvents.length = 0;
  setStatus('off');
}

export function useLiveEvents(fn: Listener, deps: unknown[] = []): void {
  useEffect(() => {
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, deps);
}

export function useLiveStatus(): Status {
  const [s, setS] = useState<Status>(status);
  useEffect(() => {
    statusListeners.add(setS);
    return () => void statusListeners.delete(setS);
  }, []);
  return s;
}
