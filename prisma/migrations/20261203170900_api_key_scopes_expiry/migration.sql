-- API keys get scopes and a mandatory expiry.
ALTER TABLE "ApiKey" ADD COLUMN     "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- Keys from before scopes keep working as they did (every family), except minting more keys;
-- they expire a year after creation like new ones.
UPDATE "ApiKey" SET "scopes" = ARRAY[
  'devices:read', 'devices:write', 'crm:read', 'crm:write', 'billing:read', 'billing:write',
  'tickets:read', 'tickets:write', 'webhooks:read', 'webhooks:write', 'reports:read',
  'users:read', 'users:write', 'api-keys:read'
]::TEXT[];
UPDATE "ApiKey" SET "expiresAt" = "createdAt" + INTERVAL '1 year' WHERE "expiresAt" IS NULL;

-- A key created by someone other than the user it acts as was a way to borrow that user's
-- rights: such keys are revoked.
UPDATE "ApiKey" k SET "revokedAt" = now()
WHERE k."revokedAt" IS NULL AND EXISTS (
  SELECT 1 FROM "AuditLog" a
  WHERE a."entityType" = 'api-key' AND a."action" = 'api-key.created' AND a."entityId" = k."id"::text
    AND a."actorId" IS DISTINCT FROM k."userId"
);

ALTER TABLE "ApiKey" ALTER COLUMN "expiresAt" SET NOT NULL;
