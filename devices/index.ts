// Public surface of the devices module: terminal inventory and lifecycle, gateway credentials,
// downlink commands and message queries.
import type { Redis } from 'ioredis';
import type { Db } from '../src/platform/database.js';
import type { Logger } from '../src/platform/logger.js';
import type { AuditService } from '../src/audit/index.js';
import { createCredentialStore } from './credentials.js';
import { createDeviceService } from './device.service.js';
import { createCommandService } from './commands.service.js';
import { createMessageService } from './messages.service.js';
import { createInventoryService } from './inventory.service.js';

export * from './devices.schemas.js';
export { verdictFor, standingOf, type TerminalCredential, type CredentialVerdict, type CredentialChange, type CredentialStore } from './credentials.js';
export { type DeviceService } from './device.service.js';
export { type CommandService, type DownlinkNotice, downlinkChannel, commandView } from './commands.service.js';
export { type MessageService } from './messages.service.js';
export { type InventoryService, type RowResult } from './inventory.service.js';
export * from './inventory.schemas.js';
export { deviceView } from './device.view.js';
export { operatorDay } from './operator-day.js';

/** Wires the devices module once; the gateway and the HTTP routes share these services. */
export function createDevicesModule(deps: { db: Db; redis: Redis; audit: AuditService; log: Logger; prefix: string; timeZone: string }) {
  const credentials = createCredentialStore({ db: deps.db, redis: deps.redis, prefix: deps.prefix, log: deps.log });
  const devices = createDeviceService({ db: deps.db, audit: deps.audit, credentials });
  const commands = createCommandService({ db: deps.db, redis: deps.redis, audit: deps.audit, devices, prefix: deps.prefix, timeZone: deps.timeZone });
  const messages = createMessageService({ db: deps.db, devices });
  const inventory = createInventoryService({ db: deps.db, audit: deps.audit, devices, credentials });
  return { credentials, devices, commands, messages, inventory };
}

export type DevicesModule = ReturnType<typeof createDevicesModule>;
export { createDeviceModelService, type DeviceModelService } from './device-model.service.js';
export * from './device-model.schemas.js';
export { createHealthModule, type HealthModule, type HealthDeps, type WatchdogSettings, type FaultReport, MASS_SILENCE } from './health/index.js';
