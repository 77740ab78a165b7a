// Stored messages made in PostgreSQL with generate_series, for reads at scale (tests and the
// message-store bench): no gateway, no JSON round trip through Node, a million rows in seconds.
import type pg from 'pg';

export interface SeedSpec {
  deviceId: string;
  contractId: string | null;
  /** receivedAt of row i = start + i * everyMs. */
  start: Date;
  everyMs: number;
  count: number;
  /** First seq (the terminal's own counter); rows take seq, seq+1, ... */
  firstSeq?: number;
}

/**
 * Vehicle telemetry with speedKmh = i % 120 and heading = i % 360; every 10th row (i % 10 = 9)
 * a heartbeat with supplyMv = 12000 + i % 500 and signalDbm = -(60 + i % 40).
 */
export const SEED_MESSAGES_SQL = `
  INSERT INTO "Message" ("deviceId","contractId","topic","kind","qos","payload","bytes","units","decoded","deviceTime","receivedAt","seq")
  SELECT $1::uuid, $2::uuid,
         CASE WHEN i % 10 = 9 THEN 'nx/' || $7 || '/up/heartbeat' ELSE 'nx/' || $7 || '/up/telemetry' END,
         CASE WHEN i % 10 = 9 THEN 'heartbeat' ELSE 'telemetry' END,
         1, '\\x01655f1e80000000'::bytea, 18, 1,
         CASE WHEN i % 10 = 9
           THEN jsonb_build_object('type','heartbeat','supplyMv',12000 + i % 500,'signalDbm',-(60 + i % 40))
           ELSE jsonb_build_object('type','vehicle-telemetry','latitude',31.2,'longitude',121.5,'speedKmh',i % 120,'heading',i % 360,
                                   'ignition',true,'moving',true,'doorOpen',false,'immobilized',false) END,
         $3::timestamp(3) + make_interval(secs => i * $4::float8 / 1000),
         $3::timestamp(3) + make_interval(secs => i * $4::float8 / 1000),
         $6::bigint + i
  FROM generate_series(0, $5::int - 1) AS i`;

export async function seedMessages(sql: pg.Pool | pg.Client, spec: SeedSpec & { serial: string }): Promise<void> {
  await sql.query(SEED_MESSAGES_SQL, [
    spec.deviceId,
    spec.contractId,
    spec.start.toISOString(),
    spec.everyMs,
    spec.count,
    spec.firstSeq ?? 1,
    spec.serial,
  ]);
}
