// What the API answers for alarms and rules: plain data, never Prisma rows.
import type { AlarmCondition, AlarmSeverity, AlarmStatus, TimeWindow } from './alarm-rule.schemas.js';

export interface AlarmRow {
  id: string;
  ruleId: string | null;
  ruleName: string;
  deviceId: string;
  device?: { serial: string; label: string | null } | null;
  customerId: string | null;
  severity: AlarmSeverity;
  status: AlarmStatus;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  details: unknown;
  ticketId: string | null;
  acknowledgedAt: Date | null;
  acknowledgedById: string | null;
  clearedAt: Date | null;
  clearedById: string | null;
  createdAt: Date;
}

export function alarmView(a: AlarmRow) {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    serial: a.device?.serial ?? null,
    label: a.device?.label ?? null,
    customerId: a.customerId,
    severity: a.severity,
    status: a.status,
    active: a.status === 'ACTIVE_UNACK' || a.status === 'ACTIVE_ACK',
    acknowledged: a.status === 'ACTIVE_ACK' || a.status === 'CLEARED_ACK',
    count: a.count,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    details: a.details,
    ticketId: a.ticketId,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedById: a.acknowledgedById,
    clearedAt: a.clearedAt,
    /** Null with clearedAt set: the condition cleared it. */
    clearedById: a.clearedById,
    createdAt: a.createdAt,
  };
}
export type AlarmView = ReturnType<typeof alarmView>;

export interface AlarmRuleRow {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  targetKind: 'MODEL' | 'CUSTOMER' | 'TERMINAL';
  deviceModelId: string | null;
  customerId: string | null;
  deviceId: string | null;
  condition: unknown;
  timeWindow: unknown;
  raiseAfter: number;
  clearCondition: unknown;
  clearAfter: number;
  severity: AlarmSeverity;
  createTicket: boolean;
  ticketGroup: string;
  notify: boolean;
  createdById: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** `names` resolves the target's ids to what a person reads (model code, serial). */
export function alarmRuleView(r: AlarmRuleRow, names: { modelCode?: string | null; serial?: string | null } = {}) {
  const target =
    r.targetKind === 'MODEL'
      ? { kind: 'MODEL' as const, model: names.modelCode ?? null, deviceModelId: r.deviceModelId }
      : r.targetKind === 'CUSTOMER'
        ? { kind: 'CUSTOMER' as const, customerId: r.customerId }
        : { kind: 'TERMINAL' as const, serial: names.serial ?? null, deviceId: r.deviceId };
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: r.enabled,
    target,
    condition: r.condition as AlarmCondition,
    timeWindow: (r.timeWindow ?? null) as TimeWindow | null,
    raiseAfter: r.raiseAfter,
    clear: { condition: (r.clearCondition ?? null) as AlarmCondition | null, after: r.clearAfter },
    severity: r.severity,
    createTicket: r.createTicket,
    ticketGroup: r.ticketGroup,
    notify: r.notify,
    createdById: r.createdById,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
export type AlarmRuleView = ReturnType<typeof alarmRuleView>;
