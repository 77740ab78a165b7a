// Rebuilds the Redis side of the watchdog from Postgres at a cold start (no watchdog was
// alive), e.g. after Redis lost its data: silent marks from open NO_SIGNAL tickets and open
// incidents, and a deadline for every ACTIVE terminal that has reported before. Existing
// entries are kept, so after a plain worker restart this changes nothing.
import type { Db } from '../../src/platform/database.js';
import type { DeadlineIndex } from './deadline-index.js';
import { expectedInterval, intervalFactsOf, lastAcknowledgedInterval } from './expected-interval.js';

const PAGE = 5_000;

export async function reseedIndex(
  { db, index }: { db: Db; index: DeadlineIndex },
  now: number,
): Promise<{ silent: number; seeded: number }> {
  const [tickets, links] = await Promise.all([
    db.ticket.findMany({ where: { kind: 'NO_SIGNAL', dedupKey: { not: null } }, select: { device: { select: { serial: true } } } }),
    db.incidentDevice.findMany({
      where: { recoveredAt: null, incident: { status: 'OPEN' } },
      select: { device: { select: { serial: true } } },
    }),
  ]);
  const marked = [...new Set([...tickets, ...links].flatMap((r) => (r.device ? [r.device.serial] : [])))];
  await index.markSilent(marked, now);
  const silent = await index.silentSerials();

  let seeded = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await db.device.findMany({
      where: { status: 'ACTIVE', lastSeenAt: { not: null }, ...(after ? { id: { gt: after } } : {}) },
      select: {
        id: true,
        serial: true,
        lastSeenAt: true,
        intervalOverrideSec: true,
        parkedSince: true,
        deviceModel: { select: { expectedIntervalSec: true, parkedIntervalSec: true, silenceFactor: true } },
        commands: lastAcknowledgedInterval,
      },
      orderBy: { id: 'asc' },
      take: PAGE,
    });
    if (!rows.length) break;
    after = rows[rows.length - 1]!.id;
    // Same warm-up rule as for existing deadlines: never due before one interval from now.
    const items = rows
      .filter((r) => !silent.has(r.serial))
      .map((r) => {
        const sec = expectedInterval(intervalFactsOf(r)).seconds;
        return {
          serial: r.serial,
          deadline: Math.max(r.lastSeenAt!.getTime() + sec * r.deviceModel.silenceFactor * 1_000, now + sec * 1_000),
        };
      });
    await index.seed(items);
    seeded += items.length;
    if (rows.length < PAGE) break;
  }
  return { silent: marked.length, seeded };
}
