-- CreateIndex
CREATE INDEX "IncidentDevice_incidentId_recoveredAt_idx" ON "IncidentDevice"("incidentId", "recoveredAt");
