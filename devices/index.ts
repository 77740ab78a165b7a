// Public surface of the devices module: terminal inventory and lifecycle, gateway credentials,
// downlink commands and message queries.
import type { Redis } from 'ioredis';
import type { AuditService } from '../src/audit/index.js';
import type { EventService } from '../src/events/index.js';
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';
import { createCommandService, type DownlinkMeter } from './commands.service.js';
import { createCredentialStore } from './credentials.js';
import { createDeviceService, type TerminalHistory } from './device.service.js';
import { createInventoryService } from './inventory.service.js';
import { createMessageExport } from './message-export.js';
import { createMessageService } from './messages.service.js';
import { createPresenceStore } from './presence-store.js';
import { createTelemetryService } from './telemetry.service.js';

export { type CommandService, commandView, type DownlinkMeter, type DownlinkNotice, downlinkChannel } from './commands.service.js';
export {
  type CredentialChange,
  type CredentialStore,
  type CredentialVerdict,
  standingOf,
  type TerminalCredential,
  verdictFor,
} from './credentials.js';
export type { DeviceService, TerminalHistory, TerminalServiceChange } from './device.service.js';
export { deviceView } from './device.view.js';
export * from './devices.schemas.js';
export * from './inventory.schemas.js';
export type { InventoryService, RowResult } from './inventory.service.js';
export { EXPORT_COLUMNS, type MessageExport } from './message-export.js';
export {
  createMessageStore,
  MESSAGE_STORE_JOB,
  type MessageStore,
  type MessageStoreSettings,
  monthStart,
  PARTITIONS_AHEAD,
  type UpkeepReport,
} from './message-partitions.js';
export {
  ENSURE_CURRENT_PARTITIONS_SQL,
  insertMessagesCtes,
  LAST_SEQS_SQL,
  type MessageInput,
  packLastSeen,
  packMessages,
  SAME_MESSAGE_SQL,
  STORED_MESSAGES,
  touchDevicesSql,
  UPLINK_EVENTS,
  UPLINK_EVENTS_ORDER,
} from './message-sql.js';
export * from './messages.schemas.js';
export type { MessageService } from './messages.service.js';
export { operatorDay } from './operator-day.js';
export type { PresenceStore } from './presence-store.js';
export type { TelemetryBucketRow, TelemetryService } from './telemetry.service.js';

/** Wires the devices module once; the gateway and the HTTP routes share these services. */
export function createDevicesModule(deps: {
  db: Db;
  redis: Redis;
  audit: AuditService;
  events: Pick<EventService, 'emit'>;
  log: Logger;
  prefix: string;
  timeZone: string;
  /** Exports stream from their own connections (a server-side cursor per export). */
  databaseUrl: string;
  meterDownlink: DownlinkMeter;
  /** Billing's service history: terminal changes are recorded in their own transaction. */
  history?: TerminalHistory;
}) {
  const credentials = createCredentialStore({ db: deps.db, redis: deps.redis, prefix: deps.prefix, log: deps.log });
  const devices = createDeviceService({ db: deps.db, audit: deps.audit, credentials, ...(deps.history ? { history: deps.history } : {}) });
  const commands = createCommandService({
    db: deps.db,
    redis: deps.redis,
    audit: deps.audit,
    devices,
    prefix: deps.prefix,
    timeZone: deps.timeZone,
    meterDownlink: deps.meterDownlink,
  });
  const messages = createMessageService({ db: deps.db, devices });
  const telemetry = createTelemetryService({ db: deps.db, devices, timeZone: deps.timeZone });
  const messageExport = createMessageExport({ databaseUrl: deps.databaseUrl, devices, log: deps.log });
  const inventory = createInventoryService({
    db: deps.db,
    audit: deps.audit,
    devices,
    credentials,
    ...(deps.history ? { history: deps.history } : {}),
  });
  const presence = createPresenceStore({ db: deps.db, events: deps.events });
  return { credentials, devices, commands, messages, telemetry, messageExport, inventory, presence };
}

export type DevicesModule = ReturnType<typeof createDevicesModule>;
export * from './device-model.schemas.js';
export { createDeviceModelService, type DeviceModelService } from './device-model.service.js';
export {
  ALARM_SEVERITIES,
  ALARM_STATUSES,
  type AlarmModule,
  type AlarmRuleView,
  type AlarmView,
  alarmFilter,
  alarmRuleFilter,
  alarmRuleInput,
  createAlarmModule,
  createHealthModule,
  type FaultReport,
  type HealthDeps,
  type HealthModule,
  MASS_SILENCE,
  type WatchdogSettings,
} from './health/index.js';
