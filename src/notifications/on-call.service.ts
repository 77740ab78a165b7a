// On-call rotations per ticket group: who is paged, in which order, at a given time. Persons
// on shift are paged in the order given; the group lead (lead: true) comes last.

import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { invalid } from '../platform/errors.js';
import type { OnCallGroup, RotationInput } from './on-call.schemas.js';

export interface OnCallPerson {
  userId: string;
  email: string;
  name: string;
  phone: string | null;
  lead: boolean;
}

export function createOnCallService({ db, audit }: { db: Db; audit: AuditService }) {
  const shiftView = (s: { userId: string; phone: string | null; lead: boolean; position: number; startsAt: Date; endsAt: Date }) => ({
    userId: s.userId,
    phone: s.phone,
    lead: s.lead,
    position: s.position,
    from: s.startsAt,
    to: s.endsAt,
  });

  return {
    async get(group: OnCallGroup) {
      const rows = await db.onCallShift.findMany({
        where: { group, endsAt: { gt: new Date() } },
        orderBy: [{ startsAt: 'asc' }, { position: 'asc' }],
      });
      return { group, shifts: rows.map(shiftView) };
    },

    async set(ctx: Ctx, group: OnCallGroup, input: RotationInput) {
      const ids = [...new Set(input.shifts.map((s) => s.userId))];
      const users = await db.user.findMany({ where: { id: { in: ids }, active: true, customerId: null }, select: { id: true } });
      const known = new Set(users.map((u) => u.id));
      const unknown = input.shifts.findIndex((s) => !known.has(s.userId));
      if (unknown >= 0) throw invalid('Unknown user', [{ path: `shifts.${unknown}.userId`, message: 'No active staff user with this id' }]);
      const before = await this.get(group);
      await db.$transaction(async (tx) => {
        await tx.onCallShift.deleteMany({ where: { group, endsAt: { gt: new Date() } } });
        await tx.onCallShift.createMany({
          data: input.shifts.map((s, i) => ({
            group,
            userId: s.userId,
            phone: s.phone ?? null,
            lead: s.lead,
            position: i,
            startsAt: s.from,
            endsAt: s.to,
          })),
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'on-call.set',
            entityType: 'on-call',
            entityId: group,
            before,
            after: input,
          },
          tx,
        );
      });
      return this.get(group);
    },

    /** Who to page at `at`, in order: the rotation, then the lead(s). */
    async rotationAt(group: string, at: Date): Promise<OnCallPerson[]> {
      const rows = await db.onCallShift.findMany({
        where: { group: group as OnCallGroup, startsAt: { lte: at }, endsAt: { gt: at } },
        orderBy: [{ lead: 'asc' }, { position: 'asc' }],
      });
      const users = new Map(
        (await db.user.findMany({ where: { id: { in: rows.map((r) => r.userId) } }, select: { id: true, email: true, name: true } })).map(
          (u) => [u.id, u],
        ),
      );
      return rows.flatMap((r) => {
        const u = users.get(r.userId);
        return u ? [{ userId: u.id, email: u.email, name: u.name, phone: r.phone, lead: r.lead }] : [];
      });
    },
  };
}

export type OnCallService = ReturnType<typeof createOnCallService>;
