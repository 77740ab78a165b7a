-- CreateEnum
CREATE TYPE "CommercialRequestStatus" AS ENUM ('PENDING', 'APPROVED', 'REFUSED', 'WITHDRAWN');

-- CreateTable
CREATE TABLE "CommercialRequest" (
    "id" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "requestedById" UUID NOT NULL,
    "changes" JSONB NOT NULL,
    "before" JSONB NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "CommercialRequestStatus" NOT NULL DEFAULT 'PENDING',
    "decidedById" UUID,
    "decisionNote" TEXT,
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CommercialRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CommercialRequest_customerId_createdAt_idx" ON "CommercialRequest"("customerId", "createdAt");

-- CreateIndex
CREATE INDEX "CommercialRequest_status_createdAt_idx" ON "CommercialRequest"("status", "createdAt");

-- AddForeignKey
ALTER TABLE "CommercialRequest" ADD CONSTRAINT "CommercialRequest_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
