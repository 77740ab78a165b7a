// The network overview: wall-screen friendly, refreshed from /overview and kept live by SSE.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Json, OverviewAnswer } from '../../../../api-types';
import { api } from '../api';
import { type MinutePoint, MpmChart } from '../components/MpmChart';
import { type MapPoint, NetworkMap } from '../components/NetworkMap';
import { Badge, Card, Empty, Link, Loaded, Stat, useAsync } from '../components/ui';
import { CATEGORY_COLOR, CATEGORY_LABEL, faultName, fmtAgo, fmtNum, fmtTime } from '../format';
import { type LiveEvent, recentEvents, useLiveEvents } from '../live';
import { consoleKind, type Session } from '../session';

/** What /overview answers, as the server declares it. */
export type OverviewData = Json<OverviewAnswer>;

const PRIORITIES = ['CRITICAL', 'HIGH', 'NORMAL', 'LOW'];

/** Adds live uplinks to the minute buckets so the chart moves between overview refreshes. */
function addLive(series: MinutePoint[], events: LiveEvent[]): MinutePoint[] {
  const ups = events.filter((e) => e.type === 'device.uplink');
  if (!ups.length) return series;
  const out = series.map((p) => ({ ...p }));
  for (const e of ups) {
    const minute = new Date(Math.floor(new Date(e.at).getTime() / 60_000) * 60_000).toISOString();
    const last = out[out.length - 1];
    if (last && last.minute === minute) last.count++;
    else if (!last || minute > last.minute) {
      out.push({ minute, count: 1 });
      if (out.length > 61) out.shift();
    }
  }
  return out;
}

export function Overview(props: { session: Session }) {
  const state = useAsync(() => api<OverviewData>('/overview'), [], 30_000);
  const mapState = useAsync(() => api<{ items: MapPoint[] }>('/overview/map'), [], 60_000);
  const [series, setSeries] = useState<MinutePoint[]>([]);
  const [feed, setFeed] = useState<LiveEvent[]>(() => recentEvents.slice(0, 60));
  const [points, setPoints] = useState<MapPoint[]>([]);
  const reloadTimer = useRef<number | null>(null);

  useEffect(() => {
    if (state.data) setSeries(state.data.messagesPerMinute);
  }, [state.data]);
  useEffect(() => {
    if (mapState.data) setPoints(mapState.data.items);
  }, [mapState.data]);

  useLiveEvents(
    (events) => {
      setFeed((f) => [...[...events].reverse(), ...f].slice(0, 60));
      setSeries((s) => addLive(s, events));
      setPoints((pts) => {
        const bySerial = new Map(events.filter((e) => e.serial).map((e) => [e.serial!, e]));
        if (!bySerial.size) return pts;
        return pts.map((p) => {
          const e = bySerial.get(p.serial);
          if (!e) return p.flash ? { ...p, flash: null } : p;
          const online = e.type === 'device.offline' ? false : e.type === 'device.online' || e.type === 'device.uplink' ? true : p.online;
          return { ...p, online, lat: e.lat ?? p.lat, lon: e.lon ?? p.lon, flash: e.type === 'device.fault' ? 'fault' : 'uplink' };
        });
      });
      // State changes alter the counts: refresh the summary soon, once per burst.
      if (events.some((e) => e.type !== 'device.uplink') && reloadTimer.current === null) {
        reloadTimer.current = window.setTimeout(() => {
          reloadTimer.current = null;
          state.reload();
        }, 3000);
      }
    },
    [state.reload],
  );
  useEffect(() => () => void (reloadTimer.current !== null && clearTimeout(reloadTimer.current)), []);

  // Wall-screen mode: no navigation, bigger type, full screen where the browser allows it.
  const [wall, setWall] = useState(false);
  useEffect(() => {
    document.body.classList.toggle('wall', wall);
    if (wall) void document.documentElement.requestFullscreen?.().catch(() => {});
    else if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
  }, [wall]);
  useEffect(() => {
    const off = () => !document.fullscreenElement && setWall(false);
    document.addEventListener('fullscreenchange', off);
    return () => {
      document.removeEventListener('fullscreenchange', off);
      document.body.classList.remove('wall');
    };
  }, []);

  const portal = consoleKind(props.session.role) !== 'operations';
  return (
    <div class="page overview" data-testid="overview">
      <div class="page-head">
        <h1>{portal ? 'Your network' : 'Network overview'}</h1>
        {state.data && <span class="muted small">updated {fmtTime(state.data.generatedAt)}</span>}
        <button type="button" class="ghost small push-right" onClick={() => setWall(!wall)} data-testid="wall-toggle">
          {wall ? 'Leave wall screen' : 'Wall screen'}
        </button>
      </div>
      <Loaded state={state} what="the overview">
        {(d) => {
          const lastHour = series.reduce((s, p) => s + p.count, 0);
          const thisMinute = series[series.length - 1]?.count ?? 0;
          return (
            <>
              {d.stalledLoops && d.stalledLoops.length > 0 && (
                <div class="stall-banner" role="alert" data-testid="stalled-loops">
                  <Badge value="stalled" tone="bad" /> Background work is not advancing:{' '}
                  {d.stalledLoops
                    .map((l) => `${l.loop}${l.pendingAgeSec !== null ? ` (oldest work waiting ${fmtNum(l.pendingAgeSec)} s)` : ''}`)
                    .join(', ')}
                  . Webhooks, tickets or billing may lag; see /readyz and the logs.
                </div>
              )}
              <div class="stats">
                <Stat
                  label="Online"
                  value={
                    <span data-testid="online-total">
                      {fmtNum(d.terminals.online)}
                      <small> / {fmtNum(d.terminals.inService)}</small>
                    </span>
                  }
                  sub={`${fmtNum(d.terminals.total)} registered`}
                  tone={d.terminals.inService && d.terminals.online < d.terminals.inService * 0.9 ? 'warn' : 'ok'}
                  testid="stat-online"
                />
                {Object.entries(d.terminals.byCategory)
                  .filter(([c]) => CATEGORY_LABEL[c])
                  .map(([c, v]) => (
                    <Stat
                      label={CATEGORY_LABEL[c]!}
                      value={
                        <span style={{ color: CATEGORY_COLOR[c] }}>
                          {fmtNum(v.online)}
                          <small> / {fmtNum(v.inService)}</small>
                        </span>
                      }
                      sub="online / in service"
                      testid={`stat-${c.toLowerCase()}`}
                    />
                  ))}
                <Stat
                  label="Msgs / hour"
                  value={<span data-testid="messages-hour">{fmtNum(lastHour)}</span>}
                  sub={`${fmtNum(thisMinute)} this minute`}
                  testid="stat-messages"
                />
                <Stat
                  label="Silent"
                  value={fmtNum(d.silent.count)}
                  tone={d.silent.count ? 'warn' : 'ok'}
                  sub="terminals not reporting"
                  testid="stat-silent"
                />
                <Stat
                  label="Faulty"
                  value={fmtNum(d.faulty.count)}
                  tone={d.faulty.count ? 'bad' : 'ok'}
                  sub="with open faults"
                  testid="stat-faulty"
                />
                <Stat
                  label="Open tickets"
                  value={fmtNum(d.openTickets.total)}
                  tone={d.openTickets.byPriority.CRITICAL ? 'bad' : 'info'}
                  sub={`${d.openTickets.byPriority.CRITICAL ?? 0} critical`}
                  testid="stat-tickets"
                />
              </div>

              <div class="grid-2-1">
                <Card title="Messages per minute" actions={<span class="muted small">last 60 minutes</span>}>
                  <MpmChart series={series} />
                </Card>
                <Card title="Open tickets by severity" testid="tickets-by-severity">
                  <div class="sev-bars">
                    {PRIORITIES.map((p) => {
                      const n = d.openTickets.byPriority[p] ?? 0;
                      const max = Math.max(1, ...PRIORITIES.map((q) => d.openTickets.byPriority[q] ?? 0));
                      return (
                        <div class="sev-row">
                          <Badge value={p} />
                          <div class="bar">
                            <span class={`fill sev-${p.toLowerCase()}`} style={{ width: `${(n / max) * 100}%` }} />
                          </div>
                          <b class="num">{fmtNum(n)}</b>
                        </div>
                      );
                    })}
                  </div>
                  {d.incidents && d.incidents.count > 0 && (
                    <div class="incidents" data-testid="incidents">
                      <h2>Open incidents ({d.incidents.count})</h2>
                      {d.incidents.items.map((i) => (
                        <div class="incident">
                          <b>{i.title}</b>
                          <span class="muted small">
                            {' '}
                            · since {fmtTime(i.startedAt)} · {fmtNum(i.silentTerminals)} terminals still silent
                          </span>
                        </div>
                      ))}
                    </div>
                  )}
                  <Link to="/tickets" class="more">
                    Open the ticket queue →
                  </Link>
                </Card>
              </div>

              <div class="grid-2-1">
                <Card title="Map" class="map-card">
                  {mapState.error && !mapState.data ? <div class="notice">Map not available.</div> : <NetworkMap points={points} />}
                </Card>
                <Card title="Live events" class="feed-card" testid="live-feed">
                  {feed.length === 0 ? (
                    <Empty>Waiting for events…</Empty>
                  ) : (
                    <ul class="feed">
                      {feed.map((e) => (
                        <li class={`ev ev-${e.type.replace(/\./g, '-')}`}>
                          <span class="t">{fmtTime(e.at)}</span>
                          <span class="type">{e.type}</span>
                          <span class="what">
                            {e.serial ? <Link to={`/terminals/${e.serial}`}>{e.serial}</Link> : null} {describe(e)}
                          </span>
                        </li>
                      ))}
                    </ul>
                  )}
                </Card>
              </div>

              <div class="grid-2">
                <Card title={`Silent terminals (${fmtNum(d.silent.count)})`} testid="silent-list">
                  {d.silent.items.length === 0 ? (
                    <Empty>Every terminal in service is reporting.</Empty>
                  ) : (
                    <table>
                      <thead>
                        <tr>
                          <th>Terminal</th>
                          <th>Category</th>
                          <th>Last seen</th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.silent.items.map((s) => (
                          <tr>
                            <td>
                              <Link to={`/terminals/${s.serial}`}>{s.serial}</Link> <span class="muted">{s.label ?? ''}</span>
                            </td>
                            <td>{CATEGORY_LABEL[s.category] ?? s.category}</td>
                            <td>{fmtAgo(s.lastSeenAt)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Card>
                <Card title={`Faulty terminals (${fmtNum(d.faulty.count)})`} testid="faulty-list">
                  {d.faulty.items.length === 0 ? (
                    <Empty>No open faults.</Empty>
                  ) : (
                    <table>
                      <thead>
                        <tr>
                          <th>Terminal</th>
                          <th>Fault</th>
                          <th>Severity</th>
                          <th>Since</th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.faulty.items.map((f) => (
                          <tr>
                            <td>{f.serial ? <Link to={`/terminals/${f.serial}`}>{f.serial}</Link> : '—'}</td>
                            <td>
                              <Link to={`/tickets/${f.ticketId}`}>{faultName(f.faultCode)}</Link>
                            </td>
                            <td>
                              <Badge value={f.priority} />
                            </td>
                            <td>{fmtAgo(f.since)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Card>
              </div>
            </>
          );
        }}
      </Loaded>
    </div>
  );
}

function describe(e: LiveEvent): string {
  switch (e.type) {
    case 'device.uplink':
      return e.kind ? `${e.kind}${e.lat !== null ? ` @ ${e.lat.toFixed(3)}, ${e.lon?.toFixed(3)}` : ''}` : '';
    case 'device.fault':
      return `${faultName(e.faultCode)}${e.severity === 0 ? ' cleared' : ''}`;
    case 'device.online':
      return 'connected';
    case 'device.offline':
      return `disconnected${e.text ? ` (${e.text})` : ''}`;
    default:
      return e.text ?? '';
  }
}
