-- CreateEnum
CREATE TYPE "ServiceEventKind" AS ENUM ('TERMINAL_PROVISIONED', 'TERMINAL_SUSPENDED', 'TERMINAL_RESUMED', 'TERMINAL_SWAPPED_IN', 'TERMINAL_SWAPPED_OUT', 'TERMINAL_RETIRED', 'TERMINAL_LOST', 'CONTRACT_STARTED', 'CONTRACT_SUSPENDED', 'CONTRACT_REACTIVATED', 'CONTRACT_TERMINATED', 'PLAN_CHANGED');

-- CreateEnum
CREATE TYPE "OneOffChargeKind" AS ENUM ('EQUIPMENT', 'ACTIVATION', 'INSTALLATION', 'MANUAL');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "InvoiceLineKind" ADD VALUE 'CHARGE';
ALTER TYPE "InvoiceLineKind" ADD VALUE 'CREDIT';

-- CreateTable
CREATE TABLE "ServiceEvent" (
    "id" UUID NOT NULL,
    "contractId" UUID NOT NULL,
    "deviceId" UUID,
    "kind" "ServiceEventKind" NOT NULL,
    "tariffPlanId" UUID,
    "previousTariffPlanId" UUID,
    "at" TIMESTAMP(3) NOT NULL,
    "reason" TEXT,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServiceEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OneOffCharge" (
    "id" UUID NOT NULL,
    "contractId" UUID NOT NULL,
    "kind" "OneOffChargeKind" NOT NULL,
    "description" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL DEFAULT 1,
    "unitPriceMinor" BIGINT NOT NULL,
    "reason" TEXT,
    "orderId" UUID,
    "createdById" UUID,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "billedPeriod" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OneOffCharge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ServiceEvent_contractId_at_idx" ON "ServiceEvent"("contractId", "at");

-- CreateIndex
CREATE INDEX "OneOffCharge_contractId_billedPeriod_idx" ON "OneOffCharge"("contractId", "billedPeriod");

-- Backfill: the history of existing contracts and terminals, from what their rows still tell.
-- Contracts start on their start date under their current plan (earlier plan changes were
-- not recorded), and carry their current suspension and termination.
INSERT INTO "ServiceEvent" ("id", "contractId", "kind", "tariffPlanId", "at", "reason")
SELECT gen_random_uuid(), c."id", 'CONTRACT_STARTED', c."tariffPlanId", c."startDate", 'backfill' FROM "Contract" c;
INSERT INTO "ServiceEvent" ("id", "contractId", "kind", "at", "reason")
SELECT gen_random_uuid(), c."id", 'CONTRACT_SUSPENDED', COALESCE(c."suspendedAt", c."updatedAt"), COALESCE(c."suspensionReason", 'backfill')
FROM "Contract" c WHERE c."status" = 'SUSPENDED';
INSERT INTO "ServiceEvent" ("id", "contractId", "kind", "at", "reason")
SELECT gen_random_uuid(), c."id", 'CONTRACT_TERMINATED', COALESCE(c."endDate", c."updatedAt"), 'backfill' FROM "Contract" c WHERE c."status" = 'TERMINATED';
-- Terminals: provisioned (a replacement: swapped in) when their row says; the activation instant
-- stays on Device.activatedAt. A terminal now out of service left it at its last update, the
-- best instant the rows keep.
INSERT INTO "ServiceEvent" ("id", "contractId", "deviceId", "kind", "at", "reason")
SELECT gen_random_uuid(), d."contractId", d."id",
       CASE WHEN d."replacesId" IS NULL THEN 'TERMINAL_PROVISIONED' ELSE 'TERMINAL_SWAPPED_IN' END::"ServiceEventKind",
       COALESCE(d."provisionedAt", d."activatedAt", d."createdAt"), 'backfill'
FROM "Device" d WHERE d."contractId" IS NOT NULL AND d."status" <> 'IN_STOCK';
INSERT INTO "ServiceEvent" ("id", "contractId", "deviceId", "kind", "at", "reason")
SELECT gen_random_uuid(), d."contractId", d."id",
       CASE WHEN d."status" = 'SUSPENDED' THEN 'TERMINAL_SUSPENDED'
            WHEN d."status" = 'LOST' THEN 'TERMINAL_LOST'
            WHEN EXISTS (SELECT 1 FROM "Device" r WHERE r."replacesId" = d."id") THEN 'TERMINAL_SWAPPED_OUT'
            ELSE 'TERMINAL_RETIRED' END::"ServiceEventKind",
       d."updatedAt", 'backfill'
FROM "Device" d WHERE d."contractId" IS NOT NULL AND d."status" IN ('SUSPENDED', 'RETIRED', 'LOST');
