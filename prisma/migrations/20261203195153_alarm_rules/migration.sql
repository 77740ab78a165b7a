-- CreateEnum
CREATE TYPE "AlarmSeverity" AS ENUM ('CRITICAL', 'MAJOR', 'MINOR', 'WARNING');

-- CreateEnum
CREATE TYPE "AlarmTargetKind" AS ENUM ('MODEL', 'CUSTOMER', 'TERMINAL');

-- CreateEnum
CREATE TYPE "AlarmStatus" AS ENUM ('ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK', 'CLEARED_ACK');

-- CreateTable
CREATE TABLE "AlarmRule" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "targetKind" "AlarmTargetKind" NOT NULL,
    "deviceModelId" UUID,
    "customerId" UUID,
    "deviceId" UUID,
    "condition" JSONB NOT NULL,
    "timeWindow" JSONB,
    "raiseAfter" INTEGER NOT NULL DEFAULT 1,
    "clearCondition" JSONB,
    "clearAfter" INTEGER NOT NULL DEFAULT 1,
    "severity" "AlarmSeverity" NOT NULL,
    "createTicket" BOOLEAN NOT NULL DEFAULT false,
    "ticketGroup" TEXT NOT NULL DEFAULT 'SERVICE_DESK',
    "notify" BOOLEAN NOT NULL DEFAULT false,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlarmRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alarm" (
    "id" UUID NOT NULL,
    "ruleId" UUID,
    "ruleName" TEXT NOT NULL,
    "deviceId" UUID NOT NULL,
    "customerId" UUID,
    "contractorId" UUID,
    "severity" "AlarmSeverity" NOT NULL,
    "status" "AlarmStatus" NOT NULL DEFAULT 'ACTIVE_UNACK',
    "openKey" TEXT,
    "count" INTEGER NOT NULL DEFAULT 1,
    "firstSeenAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    "ticketId" UUID,
    "acknowledgedAt" TIMESTAMP(3),
    "acknowledgedById" UUID,
    "clearedAt" TIMESTAMP(3),
    "clearedById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Alarm_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AlarmRule_targetKind_idx" ON "AlarmRule"("targetKind");

-- CreateIndex
CREATE UNIQUE INDEX "Alarm_openKey_key" ON "Alarm"("openKey");

-- CreateIndex
CREATE INDEX "Alarm_deviceId_createdAt_idx" ON "Alarm"("deviceId", "createdAt");

-- CreateIndex
CREATE INDEX "Alarm_status_createdAt_idx" ON "Alarm"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Alarm_customerId_createdAt_idx" ON "Alarm"("customerId", "createdAt");

-- CreateIndex
CREATE INDEX "Alarm_contractorId_createdAt_idx" ON "Alarm"("contractorId", "createdAt");

-- CreateIndex
CREATE INDEX "Alarm_ruleId_idx" ON "Alarm"("ruleId");

-- AddForeignKey
ALTER TABLE "Alarm" ADD CONSTRAINT "Alarm_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlarmRule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alarm" ADD CONSTRAINT "Alarm_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;
