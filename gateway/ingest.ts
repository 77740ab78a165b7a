// Durable uplink ingest by group commit: uplinks queue up while the previous transaction
// commits, then go to Postgres together in ONE transaction (message rows, usage counters,
// last-seen, outbox events). Callers acknowledge (PUBACK) only when their promise resolves.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { uplinkUsageStatement } from '../billing/index.js';
import {
  ENSURE_CURRENT_PARTITIONS_SQL,
  LAST_SEQS_SQL,
  packLastSeen,
  packMessages,
  SAME_MESSAGE_SQL,
  type TerminalCredential,
} from '../devices/index.js';
import { OUTBOX_NOTIFY } from '../src/events/index.js';
import { createBatcher } from '../src/platform/batcher.js';
import type { Logger } from '../src/platform/logger.js';
import { isConnectionError, withPgClient } from '../src/platform/pg-checkout.js';
import { fastBatchSql, INSERT_SQL, TOUCH_SQL } from './ingest-sql.js';
import type { GatewayMetrics, IngestSettings } from './ports.js';

export interface Uplink {
  cred: TerminalCredential;
  topic: string;
  kind: string;
  qos: number;
  payload: Buffer;
  decoded: Record<string, unknown> | null;
  decodeError: string | null;
  deviceTime: Date | null;
  receivedAt: Date;
  /** The MQTT packet id of a QoS 1 uplink, so a retransmission of a stored packet is recognised. */
  packetId: number | null;
  /** The MQTT DUP flag: only a retransmission may be a duplicate of a stored row. */
  dup: boolean;
}

export interface Stored {
  seq: number;
  duplicate: boolean;
  /** Only when the uplink alone could not be stored: it is not acknowledged. */
  failed?: boolean;
}

interface Pending extends Uplink {
  seq: number;
  units: number;
  resolve(r: Stored): void;
  reject(err: Error): void;
}

export interface IngestOptions extends IngestSettings {
  databaseUrl: string;
  log: Logger;
  metrics: Pick<GatewayMetrics, 'ingestBatch' | 'uplinks'>;
  /** Called after each commit with what was stored (not duplicates), for side effects. */
  onCommitted?(items: (Uplink & { seq: number })[]): void;
}

/** lastSeenAt is kept to this resolution, so a busy terminal does not rewrite its Device row every batch. */
const LAST_SEEN_RESOLUTION_MS = 1000;
/**
 * How long a batch is held while the database is away (restart, failover, connections ended)
 * before its uplinks fail and their connections drop. Held uplinks are not acknowledged, so a
 * terminal sends no more than its in-flight window and resends them if it reconnects.
 */
const DB_AWAY_HOLD_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createIngest(opts: IngestOptions) {
  const WRITERS = opts.writers;
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: WRITERS + 1, connectionTimeoutMillis: 5_000 });
  // Idle connections ended by the server (restart, failover, pg_terminate_backend) reconnect on next use.
  pool.on('error', (err) => opts.log.warn({ err: err.message }, 'ingest pool connection lost'));
  // Partitions are the worker's job; this only covers a worker that has been away for months.
  pool
    .query(ENSURE_CURRENT_PARTITIONS_SQL)
    .catch((err: Error) => opts.log.warn({ err: err.message }, 'could not check message partitions'));
  const seqs = new Map<string, number>();
  const lastSeenWritten = new Map<string, number>();
  let queue: Pending[] = [];
  let active = 0;
  let lastRelease: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let awaySince: number | null = null;

  async function loadSeqs(deviceIds: string[]): Promise<void> {
    const r = await pool.query<{ id: string; max: string | null }>(LAST_SEQS_SQL, [deviceIds]);
    for (const row of r.rows) seqs.set(row.id, Math.max(seqs.get(row.id) ?? 0, Number(row.max ?? 0)));
  }

  // Terminals connecting together (a fleet back after a gateway restart) share one look-up.
  const primeMany = createBatcher(
    async (ids: string[]): Promise<undefined[]> => {
      await loadSeqs([...new Set(ids)]);
      return ids.map(() => undefined);
    },
    { maxBatch: 500, maxInFlight: 1 },
  );

  function schedule(): void {
    if (queue.length === 0 || active >= WRITERS) return;
    if (queue.length >= opts.batchMax || opts.batchWaitMs === 0) return void flush();
    timer ??= setTimeout(() => {
      timer = null;
      void flush();
    }, opts.batchWaitMs);
  }

  /**
   * Takes one batch and writes it. Up to WRITERS transactions run at once so Postgres works
   * while Node prepares the next batch, but batches are acknowledged strictly in the order
   * they were taken: MQTT wants PUBACKs in the order the PUBLISHes arrived.
   */
  async function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (active >= WRITERS || queue.length === 0) return;
    active++;
    const batch = queue.slice(0, opts.batchMax);
    queue = queue.slice(batch.length);
    const previous = lastRelease;
    let release!: () => void;
    lastRelease = new Promise<void>((r) => (release = r));
    assignSeqs(batch);
    // A batch may start before the previous one commits; more may be waiting.
    setImmediate(schedule);
    let outcome: { stored: Stored[] } | { err: Error };
    const t0 = performance.now();
    try {
      // A retransmission's original may sit in an earlier batch still committing: the check must see it.
      if (batch.some((p) => p.dup)) await previous;
      outcome = { stored: await writeWithRetry(batch) };
    } catch (err) {
      outcome = { err: err as Error };
    }
    await previous;
    try {
      if ('err' in outcome) {
        opts.log.error({ err: outcome.err.message, size: batch.length }, 'ingest batch failed; uplinks not acknowledged');
        for (const p of batch) p.reject(outcome.err);
      } else {
        opts.metrics.ingestBatch.observe(batch.length);
        opts.log.debug({ size: batch.length, ms: Math.round(performance.now() - t0), queued: queue.length }, 'ingest batch committed');
        const committed: (Uplink & { seq: number })[] = [];
        const counts = new Map<string, number>();
        for (const [i, p] of batch.entries()) {
          const st = outcome.stored[i]!;
          if (st.failed) {
            p.reject(new Error('uplink could not be stored'));
            continue;
          }
          if (!st.duplicate) {
            committed.push(p);
            const key = `${p.kind}|${p.decodeError ? 'false' : 'true'}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          p.resolve(st);
        }
        for (const [key, n] of counts) {
          const [kind, decoded] = key.split('|') as [string, string];
          opts.metrics.uplinks.labels(kind, decoded).inc(n);
        }
        if (committed.length) opts.onCommitted?.(committed);
      }
    } finally {
      release();
      active--;
      schedule();
    }
  }

  async function writeWithRetry(batch: Pending[]): Promise<Stored[]> {
    try {
      return await writeBatch(batch);
    } catch (err) {
      if (isConnectionError(err)) return writeWhenBack(batch, err as Error);
      // Most likely another gateway wrote seqs for a terminal that moved here: skip past them and retry once.
      opts.log.warn({ err: (err as Error).message, size: batch.length }, 'ingest batch failed; retrying once');
      await loadSeqs([...new Set(batch.map((p) => p.cred.deviceId))]);
      assignSeqs(batch);
      try {
        return await writeBatch(batch);
      } catch (again) {
        if (isConnectionError(again)) return writeWhenBack(batch, again as Error);
        // Isolate a poison row: one transaction per uplink, so only the bad one goes unacknowledged.
        if (batch.length === 1) throw again;
        return writeOneByOne(batch);
      }
    }
  }

  /**
   * The database is away: the batch stays unacknowledged and is written again as soon as the
   * database answers, up to DB_AWAY_HOLD_MS. The lost connection may have taken a COMMIT with it,
   * so QoS 1 uplinks go through the retransmission check and a stored one counts as a duplicate.
   */
  async function writeWhenBack(batch: Pending[], first: Error): Promise<Stored[]> {
    const since = Date.now();
    if (awaySince === null) {
      awaySince = since;
      opts.log.error({ err: first.message }, 'database unreachable: uplinks are held unacknowledged until it is back');
    }
    for (const p of batch) if (p.packetId !== null) p.dup = true;
    let delay = 100;
    for (;;) {
      if (closed || Date.now() - since > DB_AWAY_HOLD_MS) throw first;
      await sleep(delay);
      delay = Math.min(1_000, delay * 2);
      try {
        await loadSeqs([...new Set(batch.map((p) => p.cred.deviceId))]);
        assignSeqs(batch);
        const stored = await writeBatch(batch);
        if (awaySince !== null) {
          opts.log.warn({ awayMs: Date.now() - awaySince }, 'database reachable again: held uplinks stored');
          awaySince = null;
        }
        return stored;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
      }
    }
  }

  async function writeOneByOne(batch: Pending[]): Promise<Stored[]> {
    const stored: Stored[] = [];
    for (const p of batch) {
      try {
        stored.push((await writeBatch([p]))[0]!);
      } catch (err) {
        opts.log.error({ err: (err as Error).message, serial: p.cred.serial, topic: p.topic }, 'uplink could not be stored');
        stored.push({ seq: p.seq, duplicate: false, failed: true });
      }
    }
    return stored;
  }

  function assignSeqs(batch: Pending[]): void {
    for (const p of batch) {
      const next = (seqs.get(p.cred.deviceId) ?? 0) + 1;
      seqs.set(p.cred.deviceId, next);
      p.seq = next;
    }
  }

  /**
   * The common case in ONE round trip: BEGIN; messages + outbox events + usage counters (one
   * statement); last-seen; COMMIT, as a single simple query, because on a busy machine every
   * round trip costs a scheduling delay of both processes. A batch holding a DUP packet goes
   * through the careful path, which checks each retransmission first.
   */
  async function writeBatch(batch: Pending[]): Promise<Stored[]> {
    if (batch.some((p) => p.dup)) return writeCareful(batch);
    await withPgClient(pool, async (client) => {
      try {
        const { messages, devices } = packMessages(batch);
        await client.query(fastBatchSql({ messages, devices, lastSeen: lastSeenUpdates(batch) }, opts.timeZone));
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        for (const p of batch) lastSeenWritten.delete(p.cred.deviceId);
        throw err;
      }
    });
    return batch.map((p) => ({ seq: p.seq, duplicate: false }));
  }

  async function writeCareful(batch: Pending[]): Promise<Stored[]> {
    return withPgClient(pool, (client) => writeCarefulOn(client, batch));
  }

  async function writeCarefulOn(client: pg.PoolClient, batch: Pending[]): Promise<Stored[]> {
    try {
      await client.query('BEGIN');
      const outcome: Stored[] = batch.map((p) => ({ seq: p.seq, duplicate: false }));
      // A true retransmission (DUP, same packet id, topic and bytes as the terminal's newest row
      // with that id, stored before or earlier in this batch) is a duplicate; anything else is new.
      const fresh: Pending[] = [];
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i]!;
        if (p.dup && p.packetId !== null) {
          const earlier = fresh.findLast((f) => f.cred.deviceId === p.cred.deviceId && f.packetId === p.packetId);
          if (earlier) {
            if (earlier.topic === p.topic && earlier.payload.equals(p.payload)) {
              outcome[i] = { seq: earlier.seq, duplicate: true };
              continue;
            }
          } else {
            const prev = await client.query<{ same: boolean; seq: string }>(SAME_MESSAGE_SQL, [
              p.cred.deviceId,
              p.packetId,
              p.topic,
              p.payload,
              new Date().toISOString(),
            ]);
            if (prev.rows[0]?.same) {
              outcome[i] = { seq: Number(prev.rows[0].seq), duplicate: true };
              continue;
            }
          }
        }
        fresh.push(p);
      }
      if (fresh.length) {
        const { messages, devices } = packMessages(fresh);
        await client.query(INSERT_SQL, [messages, devices]);
        await client.query(`SELECT ${OUTBOX_NOTIFY}`);
      }
      // Row locks on shared counters and devices last, so concurrent batches wait on them briefly.
      await upsertUsage(client, fresh);
      await touchDevices(client, fresh);
      await client.query('COMMIT');
      return outcome;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      for (const p of batch) lastSeenWritten.delete(p.cred.deviceId);
      throw err;
    }
  }

  async function upsertUsage(client: pg.PoolClient, rows: Pending[]): Promise<void> {
    const usage = uplinkUsageStatement(
      rows.map((p) => ({
        deviceId: p.cred.deviceId,
        contractId: p.cred.contractId,
        receivedAt: p.receivedAt,
        bytes: p.payload.length,
        units: p.units,
      })),
      opts.timeZone,
    );
    if (usage) await client.query(usage.text, usage.values);
  }

  /** Devices whose lastSeenAt is due for a write (packLastSeen), or null when none is. */
  function lastSeenUpdates(rows: Pending[]): string | null {
    const last = new Map<string, Date>();
    for (const p of rows) {
      const written = lastSeenWritten.get(p.cred.deviceId);
      if (written !== undefined && p.receivedAt.getTime() - written < LAST_SEEN_RESOLUTION_MS) continue;
      const t = last.get(p.cred.deviceId);
      if (!t || p.receivedAt > t) last.set(p.cred.deviceId, p.receivedAt);
    }
    for (const [id, t] of last) lastSeenWritten.set(id, t.getTime());
    return packLastSeen(last);
  }

  async function touchDevices(client: pg.PoolClient, rows: Pending[]): Promise<void> {
    const touch = lastSeenUpdates(rows);
    if (touch) await client.query(TOUCH_SQL, [touch]);
  }

  return {
    /** Loads the terminal's last seq once per connect, before its first uplink is accepted. */
    prime(deviceId: string): Promise<void> {
      return primeMany(deviceId);
    },

    /** Resolves once the uplink is committed (or recognised as a stored duplicate). */
    submit(u: Uplink): Promise<Stored> {
      if (closed) return Promise.reject(new Error('ingest closed'));
      const units = Math.max(1, Math.ceil(u.payload.length / u.cred.segmentBytes));
      return new Promise<Stored>((resolve, reject) => {
        queue.push({ ...u, seq: 0, units, resolve, reject });
        schedule();
      });
    },

    /** Commits what is queued, then closes the pool. */
    async close(): Promise<void> {
      closed = true;
      while (queue.length || active) {
        await flush();
        if (active) await new Promise((r) => setTimeout(r, 5));
      }
      await pool.end();
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;
