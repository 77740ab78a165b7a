// The reporting interval a terminal is expected to keep (protocol.md 4.3): the interval it last
// acknowledged with SET_INTERVAL, else the override staff or its contractor set, else its
// model's; a vehicle with the ignition off reports at the model's parked interval when that is
// longer. The watchdog's silence deadline and the API's terminal detail both come from here.

import { COMMAND_OPCODES } from '../../gateway/codecs/index.js';
import type { Db } from '../../src/platform/database.js';

export type IntervalSource = 'acknowledged' | 'override' | 'parked' | 'model';

export interface ExpectedInterval {
  seconds: number;
  source: IntervalSource;
}

export interface IntervalFacts {
  modelSec: number;
  acknowledgedSec: number | null;
  overrideSec: number | null;
  /** The model's parked interval (vehicles); null when the model has none. */
  parkedModelSec: number | null;
  parked: boolean;
}

export function expectedInterval(f: IntervalFacts): ExpectedInterval {
  const running: ExpectedInterval =
    f.acknowledgedSec !== null
      ? { seconds: f.acknowledgedSec, source: 'acknowledged' }
      : f.overrideSec !== null
        ? { seconds: f.overrideSec, source: 'override' }
        : { seconds: f.modelSec, source: 'model' };
  if (f.parked && f.parkedModelSec !== null && f.parkedModelSec > running.seconds) return { seconds: f.parkedModelSec, source: 'parked' };
  return running;
}

/** The seconds of a SET_INTERVAL command's stored args, or null for anything else. */
export function setIntervalSeconds(c: { opcode: number; args: unknown }): number | null {
  if (c.opcode !== COMMAND_OPCODES.SET_INTERVAL) return null;
  const s = (c.args as { seconds?: unknown } | null)?.seconds;
  return typeof s === 'number' && Number.isInteger(s) && s > 0 ? s : null;
}

/** Prisma `select` of a device's last acknowledged SET_INTERVAL (under `commands`). */
export const lastAcknowledgedInterval = {
  where: { opcode: COMMAND_OPCODES.SET_INTERVAL, status: 'ACKNOWLEDGED' as const },
  orderBy: { completedAt: 'desc' as const },
  take: 1,
  select: { opcode: true, args: true },
};

/** The facts of one device row loaded with `deviceModel` and `commands: lastAcknowledgedInterval`. */
export function intervalFactsOf(r: {
  intervalOverrideSec: number | null;
  parkedSince: Date | null;
  deviceModel: { expectedIntervalSec: number; parkedIntervalSec: number | null };
  commands: { opcode: number; args: unknown }[];
}): IntervalFacts {
  const acked = r.commands[0];
  return {
    modelSec: r.deviceModel.expectedIntervalSec,
    acknowledgedSec: acked ? setIntervalSeconds(acked) : null,
    overrideSec: r.intervalOverrideSec,
    parkedModelSec: r.deviceModel.parkedIntervalSec,
    parked: r.parkedSince !== null,
  };
}

/** The interval of one device by id (API detail). */
export async function expectedIntervalOf(db: Db, deviceId: string): Promise<ExpectedInterval> {
  const r = await db.device.findUniqueOrThrow({
    where: { id: deviceId },
    select: {
      intervalOverrideSec: true,
      parkedSince: true,
      deviceModel: { select: { expectedIntervalSec: true, parkedIntervalSec: true } },
      commands: lastAcknowledgedInterval,
    },
  });
  return expectedInterval(intervalFactsOf(r));
}
