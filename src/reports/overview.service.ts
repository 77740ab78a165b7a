// The network overview of the console: terminal counts, traffic per minute, silent and faulty
// terminals, open tickets and map points, all limited to what the principal may see.
import type { Redis } from 'ioredis';
import type { NetworkOverview } from '../api-types/index.js';
import type { Principal } from '../auth/index.js';
import { customerScope, deviceScopeWhere } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { ticketScopeWhere } from '../service-desk/index.js';
import { fixesKey } from './live-feed.js';

const CLOSED_TICKET = ['RESOLVED', 'CLOSED', 'MERGED'] as const;
/** Statuses in which a terminal is expected to report. */
const IN_SERVICE = ['PROVISIONED', 'ACTIVE'] as const;
const LIST_LIMIT = 25;
const MAP_LIMIT = 5000;

export interface OverviewDeps {
  db: Db;
  /** Holds the vehicles' last fixes, written by the worker's live feed. */
  redis: Redis;
  prefix: string;
}

/** SQL predicate on a Device alias `d` equal to deviceScopeWhere; uuids go in as parameters. */
function scopeSql(p: Principal, firstParam: number): { sql: string; params: string[] } {
  const scope = customerScope(p);
  if (scope === null) return { sql: 'TRUE', params: [] };
  if ('contractorId' in scope) return { sql: `d."contractorId" = $${firstParam}::uuid`, params: [scope.contractorId] };
  return { sql: `d."customerId" = $${firstParam}::uuid`, params: [scope.customerId] };
}

export function createOverviewService({ db, redis, prefix }: OverviewDeps) {
  async function terminals(p: Principal) {
    const [groups, models] = await Promise.all([
      db.device.groupBy({ by: ['deviceModelId', 'status', 'online'], where: deviceScopeWhere(p), _count: { _all: true } }),
      db.deviceModel.findMany({ select: { id: true, category: true } }),
    ]);
    const categoryOf = new Map(models.map((m) => [m.id, m.category as string]));
    const byCategory: Record<string, { total: number; inService: number; online: number; byStatus: Record<string, number> }> = {};
    for (const cat of ['VEHICLE', 'ELEVATOR', 'STREETLIGHT']) byCategory[cat] = { total: 0, inService: 0, online: 0, byStatus: {} };
    for (const g of groups) {
      const cat = categoryOf.get(g.deviceModelId) ?? 'OTHER';
      byCategory[cat] ??= { total: 0, inService: 0, online: 0, byStatus: {} };
      const c = byCategory[cat];
      const n = g._count._all;
      c.total += n;
      if ((IN_SERVICE as readonly string[]).includes(g.status)) c.inService += n;
      if (g.online) c.online += n;
      c.byStatus[g.status] = (c.byStatus[g.status] ?? 0) + n;
    }
    const all = Object.values(byCategory);
    return {
      total: all.reduce((s, c) => s + c.total, 0),
      inService: all.reduce((s, c) => s + c.inService, 0),
      online: all.reduce((s, c) => s + c.online, 0),
      byCategory,
    };
  }

  /**
   * Uplinks per minute for the last 60 whole minutes plus the current one, oldest first.
   * Message has no index on receivedAt alone (ingest pays for every index), so this walks the
   * terminals and probes (deviceId, receivedAt) for each: an index-only scan whose cost follows
   * the last hour's traffic, not the table's size. OFFSET 0 keeps the planner from flattening
   * the LATERAL into a hash join over the whole table. Only uplinks are stored as messages.
   * Measured: 2,000 terminals, 2 M messages over 48 h, 40 k in the last hour: ~120-190 ms
   * (the plain join took ~700 ms with a full scan that grows with the table).
   */
  async function messagesPerMinute(p: Principal, now: Date) {
    const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const start = new Date(end.getTime() - 60 * 60_000);
    const scope = scopeSql(p, 2);
    const rows = await db.$queryRawUnsafe<{ minute: Date; count: bigint }[]>(
      `SELECT date_trunc('minute', m."receivedAt") AS minute, count(*) AS count
         FROM "Device" d
         CROSS JOIN LATERAL (SELECT "receivedAt" FROM "Message" WHERE "deviceId" = d.id AND "receivedAt" >= $1 OFFSET 0) m
        WHERE ${scope.sql}
        GROUP BY 1`,
      start,
      ...scope.params,
    );
    const counts = new Map(rows.map((r) => [new Date(r.minute).getTime(), Number(r.count)]));
    const series: { minute: string; count: number }[] = [];
    for (let t = start.getTime(); t <= end.getTime(); t += 60_000)
      series.push({ minute: new Date(t).toISOString(), count: counts.get(t) ?? 0 });
    return series;
  }

  /** In-service terminals that have not reported within their model's interval × silence factor. */
  async function silent(p: Principal, now: Date) {
    const scope = scopeSql(p, 2);
    const where = `d.status IN ('PROVISIONED','ACTIVE') AND ${scope.sql}
         AND COALESCE(d."lastSeenAt", d."provisionedAt", d."createdAt") < $1::timestamptz - make_interval(secs => dm."expectedIntervalSec" * dm."silenceFactor")`;
    const [rows, countRows] = await Promise.all([
      db.$queryRawUnsafe<{ serial: string; label: string | null; category: string; lastSeenAt: Date | null; customerId: string | null }[]>(
        `SELECT d.serial, d.label, dm.category::text AS category, d."lastSeenAt", d."customerId"
           FROM "Device" d JOIN "DeviceModel" dm ON dm.id = d."deviceModelId"
          WHERE ${where}
          ORDER BY d."lastSeenAt" ASC NULLS FIRST LIMIT ${LIST_LIMIT}`,
        now,
        ...scope.params,
      ),
      db.$queryRawUnsafe<{ n: bigint }[]>(
        `SELECT count(*) AS n FROM "Device" d JOIN "DeviceModel" dm ON dm.id = d."deviceModelId" WHERE ${where}`,
        now,
        ...scope.params,
      ),
    ]);
    return { count: Number(countRows[0]?.n ?? 0), items: rows };
  }

  /** Terminals with an open fault ticket (fault frames open one ticket per terminal and code). */
  async function faulty(p: Principal) {
    const where = { status: { notIn: [...CLOSED_TICKET] }, faultCode: { not: null }, deviceId: { not: null }, ...ticketScopeWhere(p) };
    const [rows, devices] = await Promise.all([
      db.ticket.findMany({
        where,
        orderBy: [{ priority: 'desc' }, { createdAt: 'desc' }],
        take: LIST_LIMIT,
        select: {
          id: true,
          number: true,
          subject: true,
          priority: true,
          faultCode: true,
          createdAt: true,
          device: { select: { serial: true, label: true } },
        },
      }),
      db.ticket.groupBy({ by: ['deviceId'], where, _count: { _all: true } }),
    ]);
    return {
      count: devices.length,
      items: rows.map((t) => ({
        serial: t.device?.serial ?? null,
        label: t.device?.label ?? null,
        faultCode: t.faultCode,
        priority: t.priority,
        ticketId: t.id,
        ticketNumber: t.number,
        subject: t.subject,
        since: t.createdAt,
      })),
    };
  }

  async function openTickets(p: Principal) {
    const groups = await db.ticket.groupBy({
      by: ['priority'],
      where: { status: { notIn: [...CLOSED_TICKET] }, ...ticketScopeWhere(p) },
      _count: { _all: true },
    });
    const byPriority: Record<string, number> = { CRITICAL: 0, HIGH: 0, NORMAL: 0, LOW: 0 };
    for (const g of groups) byPriority[g.priority] = g._count._all;
    return { total: groups.reduce((s, g) => s + g._count._all, 0), byPriority };
  }

  /** Open network incidents; portals see those that involve one of their terminals. */
  async function incidents(p: Principal) {
    const scoped = customerScope(p) !== null;
    const rows = await db.incident.findMany({
      where: { status: 'OPEN', ...(scoped ? { devices: { some: { device: deviceScopeWhere(p) } } } : {}) },
      orderBy: { startedAt: 'desc' },
      take: LIST_LIMIT,
      select: { id: true, kind: true, title: true, startedAt: true, _count: { select: { devices: { where: { recoveredAt: null } } } } },
    });
    return {
      count: rows.length,
      items: rows.map((r) => ({ id: r.id, kind: r.kind, title: r.title, startedAt: r.startedAt, silentTerminals: r._count.devices })),
    };
  }

  return {
    async get(p: Principal, now = new Date()): Promise<NetworkOverview> {
      const [t, mpm, s, f, tickets, inc] = await Promise.all([
        terminals(p),
        messagesPerMinute(p, now),
        silent(p, now),
        faulty(p),
        openTickets(p),
        incidents(p),
      ]);
      return {
        generatedAt: now.toISOString(),
        terminals: t,
        messagesPerMinute: mpm,
        silent: s,
        faulty: f,
        openTickets: tickets,
        incidents: inc,
      };
    },

    /**
     * Where terminals are: the installed position, or for vehicles the last fix the worker saw
     * (a Redis hash; reading the newest telemetry row per vehicle from Message took ~2 s for
     * 2,000 vehicles). Lost fixes (Redis flushed) fall back to the installed position.
     */
    async mapPoints(p: Principal) {
      const scope = scopeSql(p, 1);
      const rows = await db.$queryRawUnsafe<
        {
          id: string;
          serial: string;
          label: string | null;
          category: string;
          online: boolean;
          status: string;
          lat: number | null;
          lon: number | null;
        }[]
      >(
        `SELECT d.id, d.serial, d.label, dm.category::text AS category, d.online, d.status::text AS status, d.latitude AS lat, d.longitude AS lon
           FROM "Device" d JOIN "DeviceModel" dm ON dm.id = d."deviceModelId"
          WHERE d.status IN ('PROVISIONED','ACTIVE','SUSPENDED') AND ${scope.sql}
          ORDER BY d.serial LIMIT ${MAP_LIMIT}`,
        ...scope.params,
      );
      const vehicles = rows.filter((r) => r.category === 'VEHICLE');
      const fixes = vehicles.length ? await redis.hmget(fixesKey(prefix), ...vehicles.map((v) => v.id)) : [];
      const fixOf = new Map<string, [number, number, string]>();
      vehicles.forEach((v, i) => {
        const raw = fixes[i];
        if (raw) fixOf.set(v.id, JSON.parse(raw) as [number, number, string]);
      });
      return rows.flatMap(({ id, ...r }) => {
        const fix = fixOf.get(id);
        const lat = fix?.[0] ?? r.lat;
        const lon = fix?.[1] ?? r.lon;
        return lat === null || lon === null ? [] : [{ ...r, lat, lon, fixAt: fix?.[2] ?? null }];
      });
    },
  };
}

export type OverviewService = ReturnType<typeof createOverviewService>;
