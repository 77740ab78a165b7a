import { describe, expect, it } from 'vitest';
import { handovers, onCallAt, type ShiftFacts } from './on-call.rules.js';

const T0 = new Date('2026-11-28T00:00:00Z').getTime();
const h = (n: number) => new Date(T0 + n * 3_600_000);
let n = 0;
const shift = (userId: string, from: number, to: number, more: Partial<ShiftFacts> = {}): ShiftFacts => ({
  id: `s${++n}`,
  userId,
  phone: null,
  lead: false,
  position: n,
  override: false,
  replacesUserId: null,
  startsAt: h(from),
  endsAt: h(to),
  createdAt: h(-100 + n),
  ...more,
});
const ids = (s: ShiftFacts[]) => s.map((x) => x.userId);

describe('who is on call', () => {
  const rotation = [shift('lead', 0, 48, { lead: true }), shift('ann', 0, 12), shift('bob', 0, 12), shift('cat', 12, 24)];

  it('pages the rotation in order and the lead last', () => {
    expect(ids(onCallAt(rotation, h(1)))).toEqual(['ann', 'bob', 'lead']);
    expect(ids(onCallAt(rotation, h(12)))).toEqual(['cat', 'lead']);
    expect(ids(onCallAt(rotation, h(30)))).toEqual(['lead']);
  });

  it('puts an override first and drops the person it stands in for while it lasts', () => {
    const cover = shift('dan', 2, 4, { override: true, replacesUserId: 'ann' });
    expect(ids(onCallAt([...rotation, cover], h(3)))).toEqual(['dan', 'bob', 'lead']);
    expect(ids(onCallAt([...rotation, cover], h(4)))).toEqual(['ann', 'bob', 'lead']);
    // A cover without a replaced person is paged first, everyone else stays; a person is paged once.
    const extra = shift('bob', 2, 4, { override: true });
    expect(ids(onCallAt([...rotation, extra], h(3)))).toEqual(['bob', 'ann', 'lead']);
  });

  it('lists the handovers ahead: each instant the paging order changes', () => {
    const cover = shift('dan', 2, 4, { override: true, replacesUserId: 'ann' });
    const next = handovers([...rotation, cover], h(1), h(30));
    expect(next.map((x) => [x.at.getTime(), ids(x.onCall)])).toEqual([
      [h(2).getTime(), ['dan', 'bob', 'lead']],
      [h(4).getTime(), ['ann', 'bob', 'lead']],
      [h(12).getTime(), ['cat', 'lead']],
      [h(24).getTime(), ['lead']],
    ]);
  });
});
