import { Injectable } from '@nestjs/common';
import {
  abilityToSql,
  assertCan,
  badInput,
  conflict,
  Database,
  invalidTransition,
  japanDate,
  notFound,
  queryRows,
  tenantScope,
  type ConditionColumns,
  type RequestContext,
  type Tx,
} from '@tasuki/platform';
import { AuditService, type AuditInput } from '../audit/audit.service.js';
import { reachCase } from '../cases/case-access.js';
import {
  CASE_PHASES,
  CASE_SELECT,
  toCaseView,
  type CasePhase,
  type CaseRow,
  type CaseView,
} from '../cases/case.model.js';
import { assertDateBetween, assertOneOf, cleanLine, cleanText, isUuid } from '../shared/validation.js';
import { appendTimeline } from '../timeline/timeline.model.js';
import {
  cancelScheduledFollowUps,
  EMPLOYMENT_TYPES,
  FOLLOW_UP_COLUMNS,
  FOLLOW_UP_CONDITIONS,
  FOLLOW_UP_METHOD_LABELS,
  FOLLOW_UP_METHODS,
  FOLLOW_UP_MILESTONE_LABELS,
  FOLLOW_UP_MILESTONES,
  FOLLOW_UP_STATUS_LABELS,
  PLACEMENT_COLUMNS,
  PLACEMENT_CONDITIONS,
  PLACEMENT_ROUTES,
  toFollowUpView,
  toPlacementView,
  WEEKLY_HOURS_BANDS,
  type FollowUpInput,
  type FollowUpRow,
  type FollowUpStatus,
  type FollowUpView,
  type PlacementInput,
  type PlacementRow,
  type PlacementView,
  type SeparationInput,
} from './placement.model.js';
import { FOLLOW_UP_MISSED_AFTER_DAYS } from '../reminders/reminder-handlers.js';
import { addDays, jstAt, scheduleReminders } from '../reminders/reminder.model.js';

/** The earliest start date accepted (older placements belong to paper records), and how far ahead one may be. */
const EARLIEST_START = '2000-01-01';
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** What a placement holds of the client (EMPLOYMENT category): recorded as read or written in the audit log. */
const PLACEMENT_FIELDS = ['employerName', 'startDate', 'employmentType', 'route', 'weeklyHoursBand'];
const SEPARATION_FIELDS = ['separatedOn', 'separationReason'];

/** How `reach` finds a placement or a follow-up by id. */
interface Target {
  from: string;
  alias: string;
  columns: string;
  conditions: ConditionColumns;
  order: string;
  what: string;
}
const PLACEMENT: Target = {
  from: 'placements p',
  alias: 'p',
  columns: PLACEMENT_COLUMNS,
  conditions: PLACEMENT_CONDITIONS,
  order: 'p.start_date DESC, p.created_at DESC',
  what: '就職',
};
const FOLLOW_UP: Target = {
  from: 'follow_ups f',
  alias: 'f',
  columns: FOLLOW_UP_COLUMNS,
  conditions: FOLLOW_UP_CONDITIONS,
  order: 'f.due_on, f.placement_id, f.milestone',
  what: 'フォローアップ',
};

/** Rows grouped by their case, one list for every case asked for (empty when it has none). */
function groupByCase<R extends { case_id: string }, V>(caseIds: readonly string[], rows: R[], view: (r: R) => V) {
  const out = new Map<string, V[]>(caseIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.case_id)?.push(view(r));
  return out;
}

/** The follow-up statuses that may be recorded as done: a MISSED one is done late. */
const RECORDABLE: readonly FollowUpStatus[] = ['SCHEDULED', 'MISSED'];

/** The same calendar date a year later (2/29 becomes 3/1). */
function yearAfter(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

@Injectable()
export class PlacementsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /**
   * Records a placement (就職) on an open case: the case moves to PLACED and five follow-ups are scheduled (2 weeks,
   * 1, 3, 6 and 12 months after the start date). A case holds one placement in force at a time: a new one needs the
   * previous one's separation first (CONFLICT otherwise).
   */
  async recordPlacement(ctx: RequestContext, input: PlacementInput): Promise<CaseView> {
    assertCan(ctx, 'create', 'Placement');
    const employerName = cleanLine('employerName', input.employerName, { max: 200 });
    const today = japanDate();
    const startDate = assertDateBetween('startDate', input.startDate, EARLIEST_START, yearAfter(today), '就職日');
    const route = assertOneOf('route', input.route, PLACEMENT_ROUTES, '採用区分');
    const band = assertOneOf('weeklyHoursBand', input.weeklyHoursBand, WEEKLY_HOURS_BANDS, '週の所定労働時間');
    const employmentType = input.employmentType
      ? assertOneOf('employmentType', input.employmentType, EMPLOYMENT_TYPES, '雇用形態')
      : null;
    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachCase(tx, ctx, input.caseId, 'update', { lock: true, open: true });
      const active: unknown[] = await tx.query(
        'SELECT 1 FROM placements WHERE org_id = $1 AND case_id = $2 AND separated_on IS NULL',
        [c.org_id, c.id],
      );
      if (active.length) {
        throw conflict('このケースには離職が記録されていない就職があります。先に離職を記録してください。', 'caseId');
      }
      const [p]: { id: string }[] = await tx.query(
        `INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, employment_type, route,
           weekly_hours_band, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [c.org_id, c.id, c.client_id, employerName, startDate, employmentType, route, band, ctx.user.id],
      );
      // Month arithmetic in PostgreSQL: date + interval clamps to the end of a shorter month.
      const followUps: { id: string; due_on: string }[] = await tx.query(
        `INSERT INTO follow_ups (org_id, case_id, placement_id, milestone, due_on)
         SELECT $1, $2, $3, m.milestone, ($4::date + m.after)::date
           FROM unnest($5::text[], $6::interval[]) AS m(milestone, after)
         RETURNING id, to_char(due_on, 'YYYY-MM-DD') AS due_on`,
        [
          c.org_id,
          c.id,
          p!.id,
          startDate,
          FOLLOW_UP_MILESTONES.map(([m]) => m),
          FOLLOW_UP_MILESTONES.map(([, after]) => after),
        ],
      );
      // The day itself: the assignees are reminded; seven days later, still not done, it becomes MISSED.
      await scheduleReminders(
        tx,
        followUps.flatMap((f) => [
          { orgId: c.org_id, kind: 'FOLLOW_UP_DUE' as const, subjectId: f.id, dueAt: jstAt(f.due_on, 9) },
          {
            orgId: c.org_id,
            kind: 'FOLLOW_UP_MISSED' as const,
            subjectId: f.id,
            dueAt: jstAt(addDays(f.due_on, FOLLOW_UP_MISSED_AFTER_DAYS), 9),
          },
        ]),
      );
      await this.setPhase(tx, c, CASE_PHASES, 'PLACED');
      // The employer stays on the placement row: a timeline summary may be shared with other organizations (NOTES).
      await this.effects(ctx, tx, c, {
        kind: 'PLACEMENT',
        summary: '就職が決まりました。定着支援のフォローアップを予定しました',
        audit: { action: 'placement.recorded', subjectType: 'Placement', subjectId: p!.id, fields: PLACEMENT_FIELDS },
      });
      return this.caseView(tx, c.id);
    });
  }

  /**
   * Records a follow-up as done (実施済), with how it was done and an optional note, which goes to the case's
   * timeline. A SCHEDULED follow-up, or a MISSED one done late, may be recorded; DONE and CANCELLED ones may not.
   * The first follow-up done moves a PLACED case on to RETENTION (定着支援).
   */
  async recordFollowUp(ctx: RequestContext, id: string, input: FollowUpInput): Promise<FollowUpView> {
    assertCan(ctx, 'update', 'Placement');
    const method = assertOneOf('method', input.method, FOLLOW_UP_METHODS, '実施方法');
    const note = input.note ? cleanText('note', input.note, { max: 10_000 }) : null;
    const doneAt = input.doneAt ?? new Date();
    if (Number.isNaN(doneAt.getTime()) || doneAt.getTime() > Date.now() + FUTURE_TOLERANCE_MS) {
      throw badInput('doneAt', '実施日時に未来の日時は指定できません。');
    }
    return this.db.run(tenantScope(ctx), async (tx) => {
      const found = await this.reach<FollowUpRow>(tx, ctx, FOLLOW_UP, id);
      const c = await reachCase(tx, ctx, found.case_id, 'update', { lock: true, open: true });
      if (!RECORDABLE.includes(found.status)) {
        throw invalidTransition(
          `このフォローアップは${FOLLOW_UP_STATUS_LABELS[found.status]}のため、実施を記録できません。`,
        );
      }
      const [p]: { start_date: string }[] = await tx.query(
        `SELECT to_char(start_date, 'YYYY-MM-DD') AS start_date FROM placements WHERE id = $1`,
        [found.placement_id],
      );
      if (japanDate(doneAt) < p!.start_date) throw badInput('doneAt', '実施日時は就職日以降で指定してください。');
      const [done] = await queryRows<FollowUpRow>(
        tx,
        `UPDATE follow_ups f SET status = 'DONE', done_at = $2, method = $3, note = $4, done_by = $5,
            status_changed_at = now()
          WHERE f.id = $1 AND f.status = ANY ($6::text[]) RETURNING ${FOLLOW_UP_COLUMNS}`,
        [found.id, doneAt, method, note, ctx.user.id, RECORDABLE],
      );
      // Settled meanwhile (the worker's sweep, a colleague): the status read before the lock no longer holds.
      if (!done)
        throw invalidTransition('このフォローアップは他の操作で状態が変わりました。最新の状態を確認してください。');
      await this.setPhase(tx, c, ['PLACED'], 'RETENTION');
      await this.effects(ctx, tx, c, {
        kind: 'FOLLOW_UP',
        summary: `定着支援のフォローアップ (${FOLLOW_UP_MILESTONE_LABELS[done.milestone]}) を実施しました (${FOLLOW_UP_METHOD_LABELS[method]})`,
        body: note,
        occurredAt: doneAt,
        audit: {
          action: 'followUp.recorded',
          subjectType: 'FollowUp',
          subjectId: done.id,
          fields: note ? ['status', 'method', 'doneAt', 'note'] : ['status', 'method', 'doneAt'],
        },
      });
      return toFollowUpView(done);
    });
  }

  /**
   * Records a placement's separation (離職), once: its date (from the start date to today, or the start date itself
   * for a placement that ended before it began) and reason. The follow-ups still SCHEDULED after that date are
   * CANCELLED; a PLACED or RETENTION case goes back to JOB_SEARCH.
   */
  async recordSeparation(ctx: RequestContext, placementId: string, input: SeparationInput): Promise<PlacementView> {
    assertCan(ctx, 'update', 'Placement');
    const reason = cleanText('reason', input.reason, { min: 1, max: 1000 });
    return this.db.run(tenantScope(ctx), async (tx) => {
      const found = await this.reach<PlacementRow>(tx, ctx, PLACEMENT, placementId);
      const c = await reachCase(tx, ctx, found.case_id, 'update', { lock: true, open: true });
      if (found.separated_on) throw invalidTransition('この就職にはすでに離職が記録されています。');
      const latest = [found.start_date, japanDate()].sort()[1]!;
      const separatedOn = assertDateBetween('separatedOn', input.separatedOn, found.start_date, latest, '離職日');
      const [separated] = await queryRows<PlacementRow>(
        tx,
        `UPDATE placements p SET separated_on = $2, separation_reason = $3, separation_recorded_by = $4,
            separation_recorded_at = now()
          WHERE p.id = $1 AND p.separated_on IS NULL RETURNING ${PLACEMENT_COLUMNS}`,
        [found.id, separatedOn, reason, ctx.user.id],
      );
      if (!separated) throw invalidTransition('この就職にはすでに離職が記録されています。');
      const cancelled = await cancelScheduledFollowUps(tx, c.id, { placementId: found.id, dueAfter: separatedOn });
      await this.setPhase(tx, c, ['PLACED', 'RETENTION'], 'JOB_SEARCH');
      // The reason is EMPLOYMENT data like the employer: it stays on the placement row.
      await this.effects(ctx, tx, c, {
        kind: 'PLACEMENT',
        summary: `離職を記録しました${cancelled ? ` (予定していたフォローアップ${cancelled}件を中止)` : ''}`,
        audit: {
          action: 'placement.separated',
          subjectType: 'Placement',
          subjectId: found.id,
          fields: SEPARATION_FIELDS,
        },
      });
      return toPlacementView(separated);
    });
  }

  /**
   * Each case's placements, newest first, for field resolvers: only those the caller may read. Every case whose
   * placements were read gets a `placement.read` audit event (the employer is EMPLOYMENT data).
   */
  async placementsByCaseIds(ctx: RequestContext, caseIds: readonly string[]): Promise<Map<string, PlacementView[]>> {
    return this.db.run(tenantScope(ctx), async (tx) => {
      const rows = await this.readByCase<PlacementRow>(tx, ctx, PLACEMENT, caseIds);
      await this.audit.recordMany(
        tx,
        [...new Set(rows.map((r) => r.case_id))].map((caseId) => ({
          orgId: ctx.orgId!,
          actorUserId: ctx.user.id,
          action: 'placement.read',
          subjectType: 'Case',
          subjectId: caseId,
          fields: [...PLACEMENT_FIELDS, ...SEPARATION_FIELDS],
          purpose: 'CASE_MANAGEMENT',
          requestId: ctx.requestId,
        })),
      );
      return groupByCase(caseIds, rows, toPlacementView);
    });
  }

  /** Each case's follow-ups, by due date, for field resolvers: only those the caller may read. */
  async followUpsByCaseIds(ctx: RequestContext, caseIds: readonly string[]): Promise<Map<string, FollowUpView[]>> {
    const rows = await this.db.run(tenantScope(ctx), (tx) => this.readByCase<FollowUpRow>(tx, ctx, FOLLOW_UP, caseIds));
    return groupByCase(caseIds, rows, toFollowUpView);
  }

  /** The placements or follow-ups of the acting organization's cases `caseIds` the caller may read, in order. */
  private async readByCase<R>(tx: Tx, ctx: RequestContext, t: Target, caseIds: readonly string[]): Promise<R[]> {
    const valid = caseIds.filter(isUuid);
    if (!valid.length || !ctx.orgId) return [];
    const params: unknown[] = [valid, ctx.orgId];
    const access = abilityToSql(ctx.ability, 'read', 'Placement', t.conditions, params);
    return tx.query(
      `SELECT ${t.columns} FROM ${t.from}
        WHERE ${t.alias}.case_id = ANY ($1::uuid[]) AND ${t.alias}.org_id = $2 AND ${access} ORDER BY ${t.order}`,
      params,
    );
  }

  /**
   * A placement or follow-up the caller may update: NOT_FOUND otherwise, the same answer
   * whether it exists in another organization or nowhere. The case is locked next, by the caller.
   */
  private async reach<R>(tx: Tx, ctx: RequestContext, t: Target, id: string): Promise<R> {
    if (!isUuid(id) || !ctx.orgId) throw notFound(t.what);
    const params: unknown[] = [id, ctx.orgId];
    const access = abilityToSql(ctx.ability, 'update', 'Placement', t.conditions, params);
    const [row]: R[] = await tx.query(
      `SELECT ${t.columns} FROM ${t.from} WHERE ${t.alias}.id = $1 AND ${t.alias}.org_id = $2 AND ${access}`,
      params,
    );
    if (!row) throw notFound(t.what);
    return row;
  }

  /** Moves the case to `to` when it is in one of the phases `from`; other phases are the supporter's own call. */
  private async setPhase(tx: Tx, c: CaseRow, from: readonly CasePhase[], to: CasePhase) {
    if (c.phase === to || !from.includes(c.phase)) return;
    await tx.query('UPDATE cases SET phase = $2, updated_at = now() WHERE id = $1', [c.id, to]);
  }

  /** The timeline entry and the audit event every operation here leaves, in its transaction. */
  private async effects(
    ctx: RequestContext,
    tx: Tx,
    c: CaseRow,
    e: {
      kind: 'PLACEMENT' | 'FOLLOW_UP';
      summary: string;
      body?: string | null;
      occurredAt?: Date;
      audit: Pick<AuditInput, 'action' | 'subjectType' | 'subjectId' | 'fields'>;
    },
  ) {
    await appendTimeline(tx, [
      {
        orgId: c.org_id,
        clientId: c.client_id,
        caseId: c.id,
        kind: e.kind,
        summary: e.summary,
        body: e.body,
        occurredAt: e.occurredAt,
        authorUserId: ctx.user.id,
        authorOrgId: c.org_id,
      },
    ]);
    await this.audit.record(tx, {
      ...e.audit,
      orgId: c.org_id,
      actorUserId: ctx.user.id,
      purpose: 'CASE_MANAGEMENT',
      requestId: ctx.requestId,
    });
  }

  private async caseView(tx: Tx, caseId: string): Promise<CaseView> {
    const [row]: CaseRow[] = await tx.query(`${CASE_SELECT} WHERE c.id = $1`, [caseId]);
    return toCaseView(row!);
  }
}
