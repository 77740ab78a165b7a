// Alarm rules: create, change, delete, list, and the preview ("which terminals would match
// now"). A rule is checked against the decoded shapes of the protocol (gateway/codecs
// fields.ts) and its target before it is stored; every stored rule compiles. Changes bump a
// version in Redis, so every worker reloads its compiled rules within a second.
import type { Redis } from 'ioredis';
import { type DecodedField, decodedField } from '../../gateway/codecs/index.js';
import type { AuditService } from '../../src/audit/index.js';
import type { Ctx } from '../../src/auth/index.js';
import type { Db, Prisma } from '../../src/platform/database.js';
import { conflict, type FieldError, invalid, notFound } from '../../src/platform/errors.js';
import { page, pageArgs } from '../../src/platform/pagination.js';
import { type AlarmRuleRow, alarmRuleView } from './alarm.view.js';
import { type CompiledCondition, compileCondition, compileWindow, type Frame, minuteOfDayIn } from './alarm-conditions.js';
import type { CompiledRule } from './alarm-engine.js';
import type { AlarmCondition, AlarmRuleFilter, AlarmRuleInput, TimeWindow } from './alarm-rule.schemas.js';

/** Rules in force at once; beyond this, evaluation at the ingest rate is no longer what the bench measured. */
export const MAX_RULES = 10_000;
/** Terminals a preview looks at. */
export const PREVIEW_MAX_TERMINALS = 5_000;

type Category = 'VEHICLE' | 'ELEVATOR' | 'STREETLIGHT';
interface Resolved {
  targetKind: 'MODEL' | 'CUSTOMER' | 'TERMINAL';
  deviceModelId: string | null;
  customerId: string | null;
  deviceId: string | null;
  /** The target's category when it has one (a model, a terminal); a customer may hold any. */
  category: Category | null;
}

function checkCondition(c: AlarmCondition, category: Category | null, at: string, errors: FieldError[]): void {
  if (c.kind === 'geofence') {
    if (category && category !== 'VEHICLE')
      errors.push({ path: `${at}.kind`, message: `Only vehicles report a position; the target is ${category}` });
    return;
  }
  const f: DecodedField | undefined = decodedField(c.field);
  if (!f) {
    errors.push({
      path: `${at}.field`,
      message: `Unknown decoded field "${c.field.slice(0, 40)}" (fields are named as in the decoded frames, e.g. loadPercent, speedKmh, supplyMv)`,
    });
    return;
  }
  if (category && !f.categories.includes(category)) {
    errors.push({ path: `${at}.field`, message: `${f.name} is not sent by ${category} terminals (it is in ${f.frame} frames)` });
  }
  if (f.kind === 'number' && typeof c.value !== 'number') errors.push({ path: `${at}.value`, message: `${f.name} is a number` });
  if (f.kind === 'boolean' && typeof c.value !== 'boolean') errors.push({ path: `${at}.value`, message: `${f.name} is true or false` });
  if (f.kind === 'enum' && (typeof c.value !== 'string' || !f.values?.includes(c.value))) {
    errors.push({ path: `${at}.value`, message: `${f.name} is one of ${f.values?.join(', ')}` });
  }
  if (f.kind !== 'number' && c.operator !== 'eq' && c.operator !== 'neq') {
    errors.push({ path: `${at}.operator`, message: `${f.name} compares with eq or neq only` });
  }
}

const categoriesOf = (c: AlarmCondition): readonly string[] =>
  c.kind === 'geofence' ? ['VEHICLE'] : (decodedField(c.field)?.categories ?? []);

/** A stored rule as the engine runs it. */
export function compileRule(r: AlarmRuleRow, modelCode: string | null): CompiledRule | null {
  const target =
    r.targetKind === 'MODEL' && modelCode
      ? { kind: 'MODEL' as const, modelCode }
      : r.targetKind === 'CUSTOMER' && r.customerId
        ? { kind: 'CUSTOMER' as const, customerId: r.customerId }
        : r.targetKind === 'TERMINAL' && r.deviceId
          ? { kind: 'TERMINAL' as const, deviceId: r.deviceId }
          : null;
  if (!target) return null;
  const condition = r.condition as AlarmCondition;
  return {
    id: r.id,
    name: r.name,
    severity: r.severity,
    createTicket: r.createTicket,
    ticketGroup: r.ticketGroup as CompiledRule['ticketGroup'],
    notify: r.notify,
    target,
    categories: new Set(categoriesOf(condition)),
    raise: compileCondition(condition),
    window: compileWindow(r.timeWindow as TimeWindow | null),
    raiseAfter: r.raiseAfter,
    clear: r.clearCondition ? compileCondition(r.clearCondition as AlarmCondition) : null,
    clearAfter: r.clearAfter,
  };
}

export function createAlarmRuleService({
  db,
  redis,
  prefix,
  audit,
  timeZone,
  onChange,
}: {
  db: Db;
  redis: Redis;
  prefix: string;
  audit: AuditService;
  timeZone: string;
  /** This process's engine reloads at once (others within a second through the version key). */
  onChange: () => void;
}) {
  const versionKey = `${prefix}:alarm-rules:version`;

  async function changed(): Promise<void> {
    await redis.incr(versionKey);
    onChange();
  }

  async function resolve(input: AlarmRuleInput): Promise<Resolved> {
    const t = input.target;
    const errors: FieldError[] = [];
    let r: Resolved;
    if (t.kind === 'MODEL') {
      const m = await db.deviceModel.findUnique({ where: { code: t.model }, select: { id: true, category: true } });
      if (!m) throw invalid('Unknown device model', [{ path: 'body.target.model', message: `No device model ${t.model.slice(0, 64)}` }]);
      r = { targetKind: 'MODEL', deviceModelId: m.id, customerId: null, deviceId: null, category: m.category };
    } else if (t.kind === 'CUSTOMER') {
      const c = await db.customer.findUnique({ where: { id: t.customerId }, select: { id: true } });
      if (!c) throw invalid('Unknown customer', [{ path: 'body.target.customerId', message: 'No such customer' }]);
      r = { targetKind: 'CUSTOMER', deviceModelId: null, customerId: c.id, deviceId: null, category: null };
    } else {
      const d = await db.device.findUnique({
        where: { serial: t.serial },
        select: { id: true, deviceModel: { select: { category: true } } },
      });
      if (!d) throw invalid('Unknown terminal', [{ path: 'body.target.serial', message: `No terminal ${t.serial.slice(0, 40)}` }]);
      r = { targetKind: 'TERMINAL', deviceModelId: null, customerId: null, deviceId: d.id, category: d.deviceModel.category };
    }
    checkCondition(input.condition, r.category, 'body.condition', errors);
    if (input.clear?.condition) checkCondition(input.clear.condition, r.category, 'body.clear.condition', errors);
    if (input.notify && !input.createTicket) {
      errors.push({ path: 'body.notify', message: 'A page is recorded on a ticket: set createTicket as well' });
    }
    if (errors.length) throw invalid('The rule does not fit the decoded telemetry of its target', errors);
    return r;
  }

  function dataOf(input: AlarmRuleInput, r: Resolved) {
    return {
      name: input.name,
      description: input.description ?? null,
      enabled: input.enabled,
      targetKind: r.targetKind,
      deviceModelId: r.deviceModelId,
      customerId: r.customerId,
      deviceId: r.deviceId,
      condition: input.condition as Prisma.InputJsonValue,
      timeWindow: (input.timeWindow ?? undefined) as Prisma.InputJsonValue | undefined,
      raiseAfter: input.raiseAfter,
      clearCondition: (input.clear?.condition ?? undefined) as Prisma.InputJsonValue | undefined,
      clearAfter: input.clear?.after ?? input.raiseAfter,
      severity: input.severity,
      createTicket: input.createTicket,
      ticketGroup: input.ticketGroup,
      notify: input.notify,
    };
  }

  /** Model codes and serials of the rules' targets, for the views. */
  async function namesOf(rows: AlarmRuleRow[]) {
    const modelIds = [...new Set(rows.flatMap((r) => (r.deviceModelId ? [r.deviceModelId] : [])))];
    const deviceIds = [...new Set(rows.flatMap((r) => (r.deviceId ? [r.deviceId] : [])))];
    const [models, devices] = await Promise.all([
      modelIds.length ? db.deviceModel.findMany({ where: { id: { in: modelIds } }, select: { id: true, code: true } }) : [],
      deviceIds.length ? db.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, serial: true } }) : [],
    ]);
    const m = new Map(models.map((x) => [x.id, x.code]));
    const d = new Map(devices.map((x) => [x.id, x.serial]));
    return (r: AlarmRuleRow) =>
      alarmRuleView(r, { modelCode: r.deviceModelId ? m.get(r.deviceModelId) : null, serial: r.deviceId ? d.get(r.deviceId) : null });
  }

  async function view(r: AlarmRuleRow) {
    return (await namesOf([r]))(r);
  }

  const reqId = (ctx: Ctx) => (ctx.requestId ? { requestId: ctx.requestId } : {});

  return {
    versionKey,

    async create(ctx: Ctx, input: AlarmRuleInput) {
      const r = await resolve(input);
      if ((await db.alarmRule.count()) >= MAX_RULES) throw conflict(`At most ${MAX_RULES} alarm rules; delete unused ones first`);
      const row = await db.$transaction(async (tx) => {
        const created = await tx.alarmRule.create({ data: { ...dataOf(input, r), createdById: ctx.actor.userId } });
        await audit.record(
          { actor: ctx.actor, action: 'alarm-rule.create', entityType: 'AlarmRule', entityId: created.id, after: created, ...reqId(ctx) },
          tx,
        );
        return created;
      });
      await changed();
      return view(row);
    },

    async replace(ctx: Ctx, id: string, input: AlarmRuleInput) {
      const before = await db.alarmRule.findUnique({ where: { id } });
      if (!before) throw notFound('Alarm rule');
      const r = await resolve(input);
      const row = await db.$transaction(async (tx) => {
        const data = dataOf(input, r);
        const updated = await tx.alarmRule.update({
          where: { id },
          // Json columns left out of `data` when absent: null them explicitly on replace.
          data: {
            ...data,
            timeWindow: data.timeWindow ?? (null as unknown as Prisma.InputJsonValue),
            clearCondition: data.clearCondition ?? (null as unknown as Prisma.InputJsonValue),
          },
        });
        await audit.record(
          { actor: ctx.actor, action: 'alarm-rule.update', entityType: 'AlarmRule', entityId: id, before, after: updated, ...reqId(ctx) },
          tx,
        );
        return updated;
      });
      await changed();
      return view(row);
    },

    /** Deletes the rule; its alarms stay (with the rule's name), open ones are no longer cleared by it. */
    async remove(ctx: Ctx, id: string): Promise<void> {
      const before = await db.alarmRule.findUnique({ where: { id } });
      if (!before) throw notFound('Alarm rule');
      await db.$transaction(async (tx) => {
        await tx.alarmRule.delete({ where: { id } });
        await audit.record(
          { actor: ctx.actor, action: 'alarm-rule.delete', entityType: 'AlarmRule', entityId: id, before, ...reqId(ctx) },
          tx,
        );
      });
      await changed();
    },

    async get(id: string) {
      const row = await db.alarmRule.findUnique({ where: { id } });
      if (!row) throw notFound('Alarm rule');
      return view(row);
    },

    async list(f: AlarmRuleFilter, q: { limit: number; cursor?: string | undefined }) {
      const { cursorWhere, orderBy, take } = pageArgs(q);
      const rows = await db.alarmRule.findMany({
        where: {
          AND: [cursorWhere, f.targetKind ? { targetKind: f.targetKind } : {}, f.enabled ? { enabled: f.enabled === 'true' } : {}],
        },
        orderBy,
        take,
      });
      const named = await namesOf(rows);
      return page(rows, q.limit, named);
    },

    /** The engine's view of every enabled rule, and the version it belongs to. */
    async loadCompiled(): Promise<{ version: number; rules: CompiledRule[] }> {
      const version = Number((await redis.get(versionKey)) ?? 0);
      const rows = await db.alarmRule.findMany({ where: { enabled: true } });
      const modelIds = [...new Set(rows.flatMap((r) => (r.deviceModelId ? [r.deviceModelId] : [])))];
      const models = new Map(
        (modelIds.length ? await db.deviceModel.findMany({ where: { id: { in: modelIds } }, select: { id: true, code: true } }) : []).map(
          (m) => [m.id, m.code],
        ),
      );
      const rules = rows.flatMap((r) => {
        const c = compileRule(r, r.deviceModelId ? (models.get(r.deviceModelId) ?? null) : null);
        return c ? [c] : [];
      });
      return { version, rules };
    },

    async currentVersion(): Promise<number> {
      return Number((await redis.get(versionKey)) ?? 0);
    },

    /**
     * Which terminals of the target would meet the condition now, judged on each one's latest
     * decoded message of the frame the condition reads (and the time window at that message's
     * time). Consecutive counts are not considered: a match is a terminal one step from the alarm.
     */
    async preview(input: AlarmRuleInput) {
      const r = await resolve(input);
      const where: Prisma.DeviceWhereInput =
        r.targetKind === 'MODEL'
          ? { deviceModelId: r.deviceModelId! }
          : r.targetKind === 'CUSTOMER'
            ? { OR: [{ customerId: r.customerId! }, { contractorId: r.customerId! }] }
            : { id: r.deviceId! };
      const devices = await db.device.findMany({
        where: { AND: [where, { status: 'ACTIVE' }] },
        select: { id: true, serial: true, label: true, deviceModel: { select: { category: true } } },
        orderBy: { serial: 'asc' },
        take: PREVIEW_MAX_TERMINALS + 1,
      });
      const truncated = devices.length > PREVIEW_MAX_TERMINALS;
      const cond: CompiledCondition = compileCondition(input.condition);
      const window = compileWindow(input.timeWindow);
      const categories = new Set(categoriesOf(input.condition));
      const examined = devices.slice(0, PREVIEW_MAX_TERMINALS).filter((d) => categories.has(d.deviceModel.category));
      const latest = examined.length
        ? await db.$queryRawUnsafe<{ id: string; decoded: Frame; receivedAt: Date }[]>(
            `SELECT d.id::text AS id, m.decoded, m."receivedAt"
               FROM unnest($1::uuid[]) AS d(id)
               CROSS JOIN LATERAL (
                 SELECT decoded, "receivedAt" FROM "Message"
                  WHERE "deviceId" = d.id AND decoded->>'type' = $2
                  ORDER BY "receivedAt" DESC LIMIT 1) m`,
            examined.map((d) => d.id),
            cond.frame,
          )
        : [];
      const byId = new Map(latest.map((l) => [l.id, l]));
      const minuteOfDay = minuteOfDayIn(timeZone);
      const matching = examined.flatMap((d) => {
        const m = byId.get(d.id);
        if (!m?.decoded) return [];
        const at = new Date(m.receivedAt).getTime();
        const hit = cond.test(m.decoded) && (!window || window(minuteOfDay(at)));
        if (!hit) return [];
        const value = cond.field === 'position' ? { latitude: m.decoded.latitude, longitude: m.decoded.longitude } : m.decoded[cond.field];
        return [{ serial: d.serial, label: d.label, value, messageAt: new Date(at) }];
      });
      return { examined: examined.length, withData: byId.size, matching, truncated };
    },
  };
}

export type AlarmRuleService = ReturnType<typeof createAlarmRuleService>;
