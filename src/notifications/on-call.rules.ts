// Who is on call for a group at an instant, from its shifts: overrides first (the newest cover
// first), then the rotation in its order without the people an override stands in for, and the
// group lead(s) last. Pure, so the pager and the console's board agree on every instant.

export interface ShiftFacts {
  id: string;
  userId: string;
  phone: string | null;
  lead: boolean;
  position: number;
  override: boolean;
  replacesUserId: string | null;
  startsAt: Date;
  endsAt: Date;
  createdAt: Date;
}

const activeAt = (s: ShiftFacts, at: Date) => s.startsAt <= at && s.endsAt > at;

/** The shifts to page at `at`, in paging order; each person once. */
export function onCallAt<S extends ShiftFacts>(shifts: readonly S[], at: Date): S[] {
  const live = shifts.filter((s) => activeAt(s, at));
  const covers = live.filter((s) => s.override).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const replaced = new Set(covers.flatMap((c) => (c.replacesUserId ? [c.replacesUserId] : [])));
  const rotation = live
    .filter((s) => !s.override && !replaced.has(s.userId))
    .sort((a, b) => Number(a.lead) - Number(b.lead) || a.position - b.position);
  const seen = new Set<string>();
  return [...covers, ...rotation].filter((s) => !seen.has(s.userId) && seen.add(s.userId));
}

/**
 * The instants after `from` (up to `until`) at which the paging order changes, with the order
 * from then on: the board's "upcoming handovers".
 */
export function handovers<S extends ShiftFacts>(shifts: readonly S[], from: Date, until: Date, max = 10): { at: Date; onCall: S[] }[] {
  const instants = [...new Set(shifts.flatMap((s) => [s.startsAt.getTime(), s.endsAt.getTime()]))]
    .filter((t) => t > from.getTime() && t <= until.getTime())
    .sort((a, b) => a - b);
  const out: { at: Date; onCall: S[] }[] = [];
  let before = onCallAt(shifts, from)
    .map((s) => s.userId)
    .join();
  for (const t of instants) {
    const onCall = onCallAt(shifts, new Date(t));
    const key = onCall.map((s) => s.userId).join();
    if (key !== before) out.push({ at: new Date(t), onCall });
    before = key;
    if (out.length >= max) break;
  }
  return out;
}
