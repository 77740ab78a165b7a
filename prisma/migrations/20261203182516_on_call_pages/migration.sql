-- CreateEnum
CREATE TYPE "PageStatus" AS ENUM ('PENDING', 'ACKNOWLEDGED', 'ESCALATED');

-- CreateTable
CREATE TABLE "OnCallShift" (
    "id" UUID NOT NULL,
    "group" "TicketGroup" NOT NULL,
    "userId" UUID NOT NULL,
    "phone" TEXT,
    "lead" BOOLEAN NOT NULL DEFAULT false,
    "position" INTEGER NOT NULL DEFAULT 0,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OnCallShift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Page" (
    "id" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "level" INTEGER NOT NULL DEFAULT 0,
    "status" "PageStatus" NOT NULL DEFAULT 'PENDING',
    "delivery" JSONB NOT NULL DEFAULT '{}',
    "ackDueAt" TIMESTAMP(3) NOT NULL,
    "acknowledgedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Page_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OnCallShift_group_startsAt_idx" ON "OnCallShift"("group", "startsAt");

-- CreateIndex
CREATE INDEX "Page_ticketId_idx" ON "Page"("ticketId");

-- CreateIndex
CREATE INDEX "Page_status_ackDueAt_idx" ON "Page"("status", "ackDueAt");
