// Terminal credentials for the gateway: one row per serial with everything the connect,
// ACL and ingest paths need, cached briefly in memory and invalidated across processes
// through Redis pub/sub, so a rotated secret or a suspension takes effect within 2 s.
import type { Redis } from 'ioredis';
import { hashSecret, newSecret, secretMatches } from '../src/auth/index.js';
import { createBatcher } from '../src/platform/batcher.js';
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';

export type Category = 'VEHICLE' | 'ELEVATOR' | 'STREETLIGHT';

export interface TerminalCredential {
  deviceId: string;
  serial: string;
  secretHash: string | null;
  status: 'IN_STOCK' | 'PROVISIONED' | 'ACTIVE' | 'SUSPENDED' | 'RETIRED' | 'LOST';
  contractId: string | null;
  contractStatus: 'DRAFT' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED' | null;
  customerId: string | null;
  contractorId: string | null;
  label: string | null;
  modelCode: string;
  category: Category;
  maxPayloadBytes: number;
  rateLimitBurst: number;
  rateLimitPerMinute: number;
  /** The contract's tariff plan: a message's billable units = ceil(bytes / segmentBytes). */
  segmentBytes: number;
}

/** Why a terminal may not connect; the gateway maps each to a CONNACK code. */
export type CredentialVerdict = 'ok' | 'bad_credentials' | 'not_authorized' | 'banned';

export interface CredentialChange {
  serials?: string[];
  contractIds?: string[];
}

/** Checked against when there is no secret to check, so that path costs what a real check costs. */
const DUMMY_SECRET_HASH = hashSecret(newSecret());

/**
 * Order matters: nothing but the right secret learns more than "bad credentials". An unknown
 * serial and a unit still in stock (no secret yet) answer exactly like a wrong secret, after
 * the same hash comparison, so serials printed on stock units cannot be enumerated.
 */
export function verdictFor(cred: TerminalCredential | null, password: string | null): CredentialVerdict {
  const known = cred !== null && cred.status !== 'IN_STOCK' && cred.secretHash !== null;
  const matches = secretMatches(password ?? '', known ? cred.secretHash! : DUMMY_SECRET_HASH);
  if (!cred || !known || !password || !matches) return 'bad_credentials';
  if (cred.status === 'RETIRED' || cred.status === 'LOST') return 'not_authorized';
  if (!cred.contractId || cred.contractStatus === 'TERMINATED') return 'not_authorized';
  if (cred.status === 'SUSPENDED' || cred.contractStatus === 'SUSPENDED') return 'banned';
  return 'ok';
}

/** Whether an already connected terminal may stay connected (the secret was checked at connect). */
export function standingOf(cred: TerminalCredential | null, secretHashAtConnect: string | null): CredentialVerdict {
  if (!cred || cred.secretHash !== secretHashAtConnect) return 'bad_credentials';
  if (cred.status === 'IN_STOCK' || cred.status === 'RETIRED' || cred.status === 'LOST') return 'not_authorized';
  if (!cred.contractId || cred.contractStatus === 'TERMINATED') return 'not_authorized';
  if (cred.status === 'SUSPENDED' || cred.contractStatus === 'SUSPENDED') return 'banned';
  return 'ok';
}

// Even without an invalidation message (e.g. a contract suspended by a direct SQL update),
// a cached entry is never older than this.
const TTL_MS = 1000;

export function createCredentialStore({ db, redis, prefix, log }: { db: Db; redis: Redis; prefix: string; log: Logger }) {
  const channel = `${prefix}:devices:credentials-changed`;
  const cache = new Map<string, { value: TerminalCredential | null; at: number }>();
  const listeners = new Set<(change: CredentialChange) => void>();
  let subscriber: Redis | null = null;

  /** Lookups arriving together (a fleet reconnecting) share one query. */
  const loadMany = createBatcher(
    async (serials: string[]): Promise<(TerminalCredential | null)[]> => {
      const rows = await db.device.findMany({
        where: { serial: { in: [...new Set(serials)] } },
        include: { deviceModel: true, contract: { select: { status: true, tariffPlan: { select: { segmentBytes: true } } } } },
      });
      const bySerial = new Map(rows.map((d) => [d.serial, d]));
      return serials.map((serial) => {
        const d = bySerial.get(serial);
        if (!d) return null;
        return {
          deviceId: d.id,
          serial: d.serial,
          secretHash: d.secretHash,
          status: d.status,
          contractId: d.contractId,
          contractStatus: d.contract?.status ?? null,
          customerId: d.customerId,
          contractorId: d.contractorId,
          label: d.label,
          modelCode: d.deviceModel.code,
          category: d.deviceModel.category,
          maxPayloadBytes: d.deviceModel.maxPayloadBytes,
          rateLimitBurst: d.deviceModel.rateLimitBurst,
          rateLimitPerMinute: d.deviceModel.rateLimitPerMinute,
          segmentBytes: Math.max(1, d.contract?.tariffPlan.segmentBytes ?? 64),
        };
      });
    },
    { maxBatch: 500, maxInFlight: 2 },
  );
  const load = (serial: string) => loadMany(serial);

  function applyChange(change: CredentialChange): void {
    const serials = new Set(change.serials ?? []);
    const contracts = new Set(change.contractIds ?? []);
    for (const [serial, entry] of cache) {
      if (serials.has(serial) || (entry.value?.contractId && contracts.has(entry.value.contractId))) cache.delete(serial);
    }
    for (const l of listeners) l(change);
  }

  return {
    async get(serial: string, fresh = false): Promise<TerminalCredential | null> {
      const hit = cache.get(serial);
      if (!fresh && hit && Date.now() - hit.at < TTL_MS) return hit.value;
      const value = await load(serial);
      cache.set(serial, { value, at: Date.now() });
      if (cache.size > 200_000) cache.delete(cache.keys().next().value as string);
      return value;
    },

    /**
     * Serials among these devices that may no longer connect (device or contract suspended or
     * ended), even when that was written without an invalidation (e.g. by a billing job's SQL).
     */
    async barredAmong(deviceIds: string[]): Promise<string[]> {
      const rows = await db.device.findMany({
        where: {
          id: { in: deviceIds },
          OR: [{ status: { notIn: ['PROVISIONED', 'ACTIVE'] } }, { contract: { status: { in: ['SUSPENDED', 'TERMINATED'] } } }],
        },
        select: { serial: true },
      });
      return rows.map((r) => r.serial);
    },

    /** Tells every process (this one included) that these terminals' credentials changed. */
    async invalidate(change: CredentialChange): Promise<void> {
      applyChange(change);
      await redis
        .publish(channel, JSON.stringify(change))
        .catch((err: Error) => log.warn({ err: err.message }, 'credential invalidation publish failed'));
    },

    /** The gateway listens to drop sessions whose terminal may no longer connect. */
    async subscribe(listener: (change: CredentialChange) => void): Promise<() => Promise<void>> {
      listeners.add(listener);
      if (!subscriber) {
        subscriber = redis.duplicate();
        subscriber.on('error', (err) => log.warn({ err: err.message }, 'credential subscriber error'));
        subscriber.on('message', (_ch: string, msg: string) => {
          try {
            const change = JSON.parse(msg) as CredentialChange;
            // Our own publishes were applied already; applying twice is harmless.
            applyChange(change);
          } catch {
            log.warn({ msg }, 'bad credential invalidation message');
          }
        });
        await subscriber.subscribe(channel);
      }
      return async () => {
        listeners.delete(listener);
        if (listeners.size === 0 && subscriber) {
          subscriber.disconnect();
          subscriber = null;
        }
      };
    },
  };
}

export type CredentialStore = ReturnType<typeof createCredentialStore>;
