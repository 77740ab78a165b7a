// On-call rotations per ticket group: who is paged, in which order, at a given time (the rules
// are in on-call.rules.ts). A rotation is set as a whole; overrides (covers) are added and
// removed one by one and survive a new rotation.

import type { AuditService } from '../audit/index.js';
import type { Ctx } from '../auth/index.js';
import type { Db } from '../platform/database.js';
import { invalid, notFound } from '../platform/errors.js';
import { handovers, onCallAt, type ShiftFacts } from './on-call.rules.js';
import { ON_CALL_GROUPS, type OnCallGroup, type OverrideInput, type RotationInput } from './on-call.schemas.js';

export interface OnCallPerson {
  userId: string;
  email: string;
  name: string;
  phone: string | null;
  lead: boolean;
}

const HANDOVER_HORIZON_MS = 14 * 86_400_000;

export function createOnCallService({ db, audit }: { db: Db; audit: AuditService }) {
  const shiftView = (s: ShiftFacts) => ({
    id: s.id,
    userId: s.userId,
    phone: s.phone,
    lead: s.lead,
    position: s.position,
    override: s.override,
    replacesUserId: s.replacesUserId,
    from: s.startsAt,
    to: s.endsAt,
  });

  const upcoming = (group: OnCallGroup, now = new Date()) =>
    db.onCallShift.findMany({ where: { group, endsAt: { gt: now } }, orderBy: [{ startsAt: 'asc' }, { position: 'asc' }] });

  async function checkStaff(ids: (string | null | undefined)[], pathOf: (i: number) => string) {
    const wanted = [...new Set(ids.filter((x): x is string => !!x))];
    const users = await db.user.findMany({ where: { id: { in: wanted }, active: true, customerId: null }, select: { id: true } });
    const known = new Set(users.map((u) => u.id));
    const bad = ids.findIndex((id) => !!id && !known.has(id));
    if (bad >= 0) throw invalid('Unknown user', [{ path: pathOf(bad), message: 'No active staff user with this id' }]);
  }

  const names = async (ids: string[]) =>
    new Map(
      (await db.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true, email: true } })).map((u) => [
        u.id,
        u,
      ]),
    );

  return {
    async get(group: OnCallGroup) {
      return { group, shifts: (await upcoming(group)).map(shiftView) };
    },

    async set(ctx: Ctx, group: OnCallGroup, input: RotationInput) {
      await checkStaff(
        input.shifts.map((s) => s.userId),
        (i) => `shifts.${i}.userId`,
      );
      const before = await this.get(group);
      await db.$transaction(async (tx) => {
        await tx.onCallShift.deleteMany({ where: { group, override: false, endsAt: { gt: new Date() } } });
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

    async addOverride(ctx: Ctx, group: OnCallGroup, input: OverrideInput) {
      await checkStaff([input.userId, input.replacesUserId], (i) => (i === 0 ? 'userId' : 'replacesUserId'));
      const row = await db.$transaction(async (tx) => {
        const created = await tx.onCallShift.create({
          data: {
            group,
            userId: input.userId,
            phone: input.phone ?? null,
            override: true,
            replacesUserId: input.replacesUserId ?? null,
            startsAt: input.from,
            endsAt: input.to,
          },
        });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'on-call.override-added',
            entityType: 'on-call',
            entityId: created.id,
            after: { group, ...input },
          },
          tx,
        );
        return created;
      });
      return shiftView(row);
    },

    async removeOverride(ctx: Ctx, group: OnCallGroup, id: string) {
      const row = await db.onCallShift.findFirst({ where: { id, group, override: true } });
      if (!row) throw notFound('Override');
      await db.$transaction(async (tx) => {
        await tx.onCallShift.delete({ where: { id } });
        await audit.record(
          {
            actor: ctx.actor,
            requestId: ctx.requestId,
            action: 'on-call.override-removed',
            entityType: 'on-call',
            entityId: id,
            before: shiftView(row),
          },
          tx,
        );
      });
    },

    /** Staff who can be put on call (the console's pickers). */
    async people() {
      const rows = await db.user.findMany({
        where: { active: true, customerId: null, role: { in: ['ADMIN', 'OPS', 'SERVICE', 'REPAIR', 'SYSTEM'] } },
        select: { id: true, name: true, email: true, role: true },
        orderBy: [{ name: 'asc' }, { email: 'asc' }],
        take: 500,
      });
      return { items: rows };
    },

    /** The on-call board: per group who is paged now (in order), the next handovers, the overrides. */
    async board(now = new Date()) {
      const groups = await Promise.all(ON_CALL_GROUPS.map(async (group) => ({ group, shifts: await upcoming(group, now) })));
      const who = await names(groups.flatMap((g) => g.shifts.flatMap((s) => [s.userId, ...(s.replacesUserId ? [s.replacesUserId] : [])])));
      const person = (s: ShiftFacts) => ({
        ...shiftView(s),
        name: who.get(s.userId)?.name ?? null,
        email: who.get(s.userId)?.email ?? null,
        replacesName: s.replacesUserId ? (who.get(s.replacesUserId)?.name ?? null) : null,
      });
      return {
        at: now,
        groups: groups.map(({ group, shifts }) => ({
          group,
          onCall: onCallAt(shifts, now).map(person),
          handovers: handovers(shifts, now, new Date(now.getTime() + HANDOVER_HORIZON_MS)).map((h) => ({
            at: h.at,
            onCall: h.onCall.map(person),
          })),
          rotation: shifts.filter((s) => !s.override).map(person),
          overrides: shifts.filter((s) => s.override).map(person),
        })),
      };
    },

    /** Who to page at `at`, in order: covers, the rotation, then the lead(s). */
    async rotationAt(group: string, at: Date): Promise<OnCallPerson[]> {
      const rows = await db.onCallShift.findMany({ where: { group: group as OnCallGroup, startsAt: { lte: at }, endsAt: { gt: at } } });
      const ordered = onCallAt(rows, at);
      const users = await names(ordered.map((r) => r.userId));
      return ordered.flatMap((r) => {
        const u = users.get(r.userId);
        return u ? [{ userId: u.id, email: u.email, name: u.name, phone: r.phone, lead: r.lead }] : [];
      });
    },
  };
}

export type OnCallService = ReturnType<typeof createOnCallService>;
