-- AlterTable
ALTER TABLE "WebhookAttempt" ADD COLUMN     "batchId" TEXT;

-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "batchId" TEXT;

-- AlterTable
ALTER TABLE "WebhookEndpoint" ADD COLUMN     "batching" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "maxBatch" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN     "maxWaitMs" INTEGER NOT NULL DEFAULT 50;

-- CreateIndex
CREATE INDEX "WebhookAttempt_batchId_idx" ON "WebhookAttempt"("batchId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_batchId_idx" ON "WebhookDelivery"("batchId");
