-- Message becomes a table partitioned by month of "receivedAt" (native declarative
-- partitioning: works on the embedded PostgreSQL and on PostgreSQL 15 alike). Retention drops
-- whole partitions; ingest writes only to the newest, whose indexes stay small and cached.
--
-- A unique index on a partitioned table must contain the partition key, so the global unique
-- "dedupKey" cannot stay: QoS 1 retransmissions are now recognised by "packetId" (the MQTT
-- packet id of the uplink, no index) looked up among the terminal's newest rows through
-- ("deviceId", "receivedAt"); see docs/protocol.md. (deviceId, seq) is unique per partition.

ALTER TABLE "Message" DROP CONSTRAINT "Message_deviceId_fkey";
ALTER TABLE "Message" RENAME TO "Message_unpartitioned";
ALTER TABLE "Message_unpartitioned" RENAME CONSTRAINT "Message_pkey" TO "Message_unpartitioned_pkey";
DROP INDEX "Message_dedupKey_key";
DROP INDEX "Message_deviceId_receivedAt_idx";
DROP INDEX "Message_deviceId_seq_key";
ALTER SEQUENCE "Message_id_seq" OWNED BY NONE;

CREATE TABLE "Message" (
    "id" BIGINT NOT NULL DEFAULT nextval('"Message_id_seq"'),
    "deviceId" UUID NOT NULL,
    "contractId" UUID,
    "direction" "MessageDirection" NOT NULL DEFAULT 'UP',
    "topic" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "qos" INTEGER NOT NULL,
    "payload" BYTEA NOT NULL,
    "bytes" INTEGER NOT NULL,
    "units" INTEGER NOT NULL DEFAULT 1,
    "decoded" JSONB,
    "decodeError" TEXT,
    "deviceTime" TIMESTAMP(3),
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seq" BIGINT NOT NULL,
    "packetId" INTEGER,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id", "receivedAt")
) PARTITION BY RANGE ("receivedAt");
ALTER SEQUENCE "Message_id_seq" OWNED BY "Message"."id";

CREATE INDEX "Message_deviceId_receivedAt_idx" ON "Message"("deviceId", "receivedAt");
ALTER TABLE "Message" ADD CONSTRAINT "Message_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One partition per calendar month (UTC), named Message_pYYYYMM; each gets the unique
-- ("deviceId", "seq") of its own rows. The worker's job creates them ahead with this function.
CREATE FUNCTION nx_message_partition(month DATE) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  lo DATE := date_trunc('month', month)::date;
  name TEXT := 'Message_p' || to_char(lo, 'YYYYMM');
BEGIN
  IF to_regclass(format('%I', name)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF "Message" FOR VALUES FROM (%L) TO (%L)', name, lo, (lo + interval '1 month')::date);
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I ("deviceId", "seq")', name || '_deviceId_seq_key', name);
  END IF;
  RETURN name;
END $$;

-- Partitions for the rows already stored, 13 months back (the default retention) and 3 ahead.
DO $$
DECLARE
  m DATE;
  first DATE := LEAST(
    date_trunc('month', now() AT TIME ZONE 'UTC' - interval '13 months')::date,
    COALESCE((SELECT date_trunc('month', min("receivedAt"))::date FROM "Message_unpartitioned"), 'infinity'::date));
BEGIN
  m := first;
  WHILE m <= (now() AT TIME ZONE 'UTC' + interval '3 months')::date LOOP
    PERFORM nx_message_partition(m);
    m := (m + interval '1 month')::date;
  END LOOP;
END $$;

INSERT INTO "Message" ("id","deviceId","contractId","direction","topic","kind","qos","payload","bytes","units",
                       "decoded","decodeError","deviceTime","receivedAt","seq","packetId")
SELECT "id","deviceId","contractId","direction","topic","kind","qos","payload","bytes","units",
       "decoded","decodeError","deviceTime","receivedAt","seq",
       CASE WHEN "dedupKey" ~ ':[0-9]+$' THEN substring("dedupKey" from ':([0-9]+)$')::int END
FROM "Message_unpartitioned";
DROP TABLE "Message_unpartitioned";

-- Per tariff plan message retention in months; null: the operator's default.
ALTER TABLE "TariffPlan" ADD COLUMN "messageRetentionMonths" INTEGER;
