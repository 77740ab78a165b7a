-- CreateIndex
CREATE INDEX "DeviceSession_disconnectedAt_gatewayId_idx" ON "DeviceSession"("disconnectedAt", "gatewayId");
