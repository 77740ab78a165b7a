// API shape of a tariff plan version with its tiers.
import type { Prisma } from '../src/platform/database.js';

type TariffPlanRow = Prisma.TariffPlanGetPayload<{ include: { tiers: true } }>;

/** API shape: money as JSON numbers (every stored value came from a safe integer). */
export function tariffPlanView(p: TariffPlanRow) {
  return {
    id: p.id,
    code: p.code,
    version: p.version,
    name: p.name,
    currency: p.currency,
    monthlyRentalMinor: Number(p.monthlyRentalMinor),
    activationFeeMinor: Number(p.activationFeeMinor),
    includedMessages: p.includedMessages,
    segmentBytes: p.segmentBytes,
    downlinkPriceMicros: Number(p.downlinkPriceMicros),
    taxRateBp: p.taxRateBp,
    messageRetentionMonths: p.messageRetentionMonths,
    validFrom: p.validFrom,
    validTo: p.validTo,
    active: p.active,
    createdAt: p.createdAt,
    tiers: p.tiers.map((t) => ({
      fromUnit: Number(t.fromUnit),
      toUnit: t.toUnit === null ? null : Number(t.toUnit),
      unitPriceMicros: Number(t.unitPriceMicros),
    })),
  };
}
export type TariffPlanView = ReturnType<typeof tariffPlanView>;
