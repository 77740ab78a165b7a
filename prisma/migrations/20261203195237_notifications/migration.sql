-- CreateEnum
CREATE TYPE "NotificationChannel" AS ENUM ('EMAIL', 'SMS', 'INCIDENT_WEBHOOK');

-- CreateEnum
CREATE TYPE "NotificationStatus" AS ENUM ('QUEUED', 'SENT', 'FAILED', 'SKIPPED', 'ACKNOWLEDGED');

-- AlterEnum
ALTER TYPE "PageStatus" ADD VALUE 'CANCELLED';

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "ticketEmails" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "OnCallShift" ADD COLUMN     "override" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "replacesUserId" UUID;

-- AlterTable
ALTER TABLE "Page" DROP COLUMN "delivery";

-- CreateTable
CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "pageId" UUID,
    "channel" "NotificationChannel" NOT NULL,
    "purpose" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT,
    "body" TEXT NOT NULL,
    "status" "NotificationStatus" NOT NULL DEFAULT 'QUEUED',
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "dedupKey" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3),
    "acknowledgedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Notification_dedupKey_key" ON "Notification"("dedupKey");

-- CreateIndex
CREATE INDEX "Notification_ticketId_createdAt_idx" ON "Notification"("ticketId", "createdAt");

-- CreateIndex
CREATE INDEX "Notification_status_updatedAt_idx" ON "Notification"("status", "updatedAt");
