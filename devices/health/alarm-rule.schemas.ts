// Alarm rules on decoded telemetry (what ThingsBoard calls alarm rules): what a rule looks like
// on the API, and the alarms' filters. What zod cannot check alone (the field exists for the
// target's model, the value's type, the target exists) is checked by alarm-rules.service.ts.
import { z } from 'zod';
import { dateInput } from '../../src/platform/schemas.js';

export const ALARM_SEVERITIES = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'] as const;
export const ALARM_STATUSES = ['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK', 'CLEARED_ACK'] as const;
export const ALARM_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];
export type AlarmStatus = (typeof ALARM_STATUSES)[number];
export type AlarmOperator = (typeof ALARM_OPERATORS)[number];

/** A geofence's vertices: enough for a city district, small enough to test at the ingest rate. */
export const GEOFENCE_MAX_VERTICES = 500;
/** Consecutive messages: beyond this a rule would never fire on any terminal we know. */
export const MAX_CONSECUTIVE = 1_000;

const text = (max: number) => z.string().trim().min(1).max(max);

export const alarmTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('MODEL'), model: text(64) }),
  /** The customer's own terminals, or, for a contractor, the terminals it maintains. */
  z.object({ kind: z.literal('CUSTOMER'), customerId: z.string().uuid() }),
  z.object({ kind: z.literal('TERMINAL'), serial: text(40) }),
]);
export type AlarmTargetInput = z.infer<typeof alarmTarget>;

export const compareCondition = z.object({
  kind: z.literal('compare'),
  /** A decoded field name (gateway/codecs fields.ts), e.g. loadPercent, speedKmh, supplyMv. */
  field: z.string().trim().min(1).max(40),
  operator: z.enum(ALARM_OPERATORS),
  value: z.union([z.number().finite(), z.boolean(), z.string().max(40)]),
});

const vertex = z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) });

export const geofenceCondition = z.object({
  kind: z.literal('geofence'),
  polygon: z.array(vertex).min(3).max(GEOFENCE_MAX_VERTICES),
  /** `outside`: the alarm of a vehicle leaving the fence; `inside`: entering a forbidden zone. */
  alarmWhen: z.enum(['inside', 'outside']),
});

export const alarmCondition = z.discriminatedUnion('kind', [compareCondition, geofenceCondition]);
export type AlarmCondition = z.infer<typeof alarmCondition>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time of day HH:MM (00:00 to 23:59)');
/** In the operator's time zone; `to` before `from` spans midnight (22:00-06:00). */
export const timeWindow = z
  .object({ from: hhmm, to: hhmm })
  .refine((w) => w.from !== w.to, { message: 'from and to must differ', path: ['to'] });
export type TimeWindow = z.infer<typeof timeWindow>;

const consecutive = z.number().int().min(1).max(MAX_CONSECUTIVE);

export const alarmRuleInput = z.object({
  name: text(120),
  description: text(2_000).nullable().optional(),
  enabled: z.boolean().default(true),
  target: alarmTarget,
  condition: alarmCondition,
  timeWindow: timeWindow.nullable().optional(),
  /** Raise after this many consecutive messages meeting the condition. */
  raiseAfter: consecutive.default(1),
  /** Default: cleared after the condition is false for `raiseAfter` messages. */
  clear: z
    .object({
      condition: alarmCondition.optional(),
      after: consecutive.optional(),
    })
    .optional(),
  severity: z.enum(ALARM_SEVERITIES),
  createTicket: z.boolean().default(false),
  /** The ticket's group, whose on-call rotation a page reaches. */
  ticketGroup: z.enum(['SERVICE_DESK', 'REPAIR', 'SYSTEM']).default('SERVICE_DESK'),
  /** Pages the on-call engineer of the ticket's group; needs createTicket (pages live on tickets). */
  notify: z.boolean().default(false),
});
export type AlarmRuleInput = z.infer<typeof alarmRuleInput>;

export const alarmRuleFilter = z.object({
  targetKind: z.enum(['MODEL', 'CUSTOMER', 'TERMINAL']).optional(),
  enabled: z.enum(['true', 'false']).optional(),
});
export type AlarmRuleFilter = z.infer<typeof alarmRuleFilter>;

export const alarmFilter = z.object({
  /** ACTIVE (either active status), CLEARED, or one exact status. */
  status: z.enum([...ALARM_STATUSES, 'ACTIVE', 'CLEARED']).optional(),
  severity: z.enum(ALARM_SEVERITIES).optional(),
  serial: z.string().trim().min(1).max(40).optional(),
  ruleId: z.string().uuid().optional(),
  customerId: z.string().uuid().optional(),
  from: dateInput.optional(),
  to: dateInput.optional(),
});
export type AlarmFilter = z.infer<typeof alarmFilter>;
