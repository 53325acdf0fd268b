import { Injectable } from '@nestjs/common';
import {
  abilityToSql,
  AppError,
  assertCan,
  badInput,
  conflict,
  Database,
  invalidTransition,
  japanDate,
  notFound,
  queryRows,
  tenantScope,
  type RequestContext,
  type Tx,
} from '@tasuki/platform';
import { AuditService, type AuditInput } from '../audit/audit.service.js';
import { caseHolder } from '../cases/case-access.js';
import { ACTIVE_MEMBERSHIP } from '../members/member.model.js';
import { decodeCursor, pageSize, toPage, type Page } from '../shared/pagination.js';
import {
  assertDateBetween,
  assertIntBetween,
  assertOneOf,
  assertSetOf,
  cleanText,
  isIsoDate,
  isUuid,
  uniqueOrFail,
} from '../shared/validation.js';
import { appendTimeline, type NewTimelineEntry } from '../timeline/timeline.model.js';
import { reachHandover } from './handover-access.js';
import { buildPacks, type HandoverPack } from './handover-pack.js';
import { writeOutbox } from '../outbox/outbox.js';
import { addDays, jstAt, scheduleReminders } from '../reminders/reminder.model.js';
import {
  ACKNOWLEDGE_GRACE_DAYS,
  HANDOVER_CONDITIONS,
  HANDOVER_OVERDUE_SQL,
  HANDOVER_REASON_LABELS,
  HANDOVER_REASONS,
  HANDOVER_SELECT,
  HANDOVER_STATUSES,
  handoverSubject,
  toHandoverView,
  type HandoverAction,
  type HandoverFilter,
  type HandoverNoteInput,
  type HandoverNoteView,
  type HandoverRow,
  type HandoverStatus,
  type HandoverView,
  type RotationView,
  type StartHandoverInput,
} from './handover.model.js';

/** How far ahead a handover may be planned, and how many leavers one bulk start takes. */
const MAX_DAYS_AHEAD = 366;
export const MAX_BULK_HANDOVERS = 100;
const MAX_CASES = 500;
const MAX_ACTIONS = 50;

const jpDate = (date: string) => {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};

interface NoteRow {
  handover_id: string;
  case_id: string;
  version: number | null;
  situation: string | null;
  next_actions: HandoverAction[] | null;
  cautions: string | null;
  key_contacts: string | null;
  client_informed_on: string | null;
  written_by: string | null;
  written_at: Date | null;
}

/** The latest version of each case's note (or an empty note), for the handovers `$1`, in their case order. */
const LATEST_NOTES_SQL = `
  SELECT hc.handover_id, hc.case_id, n.version, n.situation, n.next_actions, n.cautions, n.key_contacts,
         to_char(n.client_informed_on, 'YYYY-MM-DD') AS client_informed_on, n.written_by, n.written_at
    FROM handover_cases hc
    LEFT JOIN LATERAL (SELECT * FROM handover_notes x
                        WHERE x.handover_id = hc.handover_id AND x.case_id = hc.case_id
                        ORDER BY x.version DESC LIMIT 1) n ON true
   WHERE hc.handover_id = ANY ($1::uuid[]) AND hc.org_id = $2
   ORDER BY hc.handover_id, hc.position`;

function toNoteView(r: NoteRow): HandoverNoteView {
  return {
    handoverId: r.handover_id,
    caseId: r.case_id,
    version: r.version ?? 0,
    situation: r.situation,
    actions: r.next_actions ?? [],
    cautions: r.cautions,
    keyContacts: r.key_contacts,
    clientInformedOn: r.client_informed_on,
    writtenBy: r.written_by,
    writtenAt: r.written_at,
  };
}

/** A note counts as written when its current situation is: the one thing a successor cannot start without. */
const hasNote = (n: HandoverNoteView) => !!n.situation;

@Injectable()
export class HandoversService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** Starts one handover (DRAFT). */
  async start(ctx: RequestContext, input: StartHandoverInput): Promise<HandoverView> {
    assertCan(ctx, 'create', 'Handover');
    return this.db.run(tenantScope(ctx), async (tx) => this.view(tx, await this.startIn(tx, ctx, input)));
  }

  /** The rotation's bulk start: the handovers of several leavers, all or none (an error names the input's index). */
  async startMany(ctx: RequestContext, inputs: readonly StartHandoverInput[]): Promise<HandoverView[]> {
    assertCan(ctx, 'create', 'Handover');
    if (inputs.length === 0 || inputs.length > MAX_BULK_HANDOVERS) {
      throw badInput('inputs', `一度に開始できる引継ぎは1〜${MAX_BULK_HANDOVERS}件です。`);
    }
    uniqueOrFail(
      'inputs',
      inputs.map((i) => i.fromUserId),
    );
    return this.db.run(tenantScope(ctx), async (tx) => {
      const ids: string[] = [];
      for (const [i, input] of inputs.entries()) {
        try {
          ids.push(await this.startIn(tx, ctx, input));
        } catch (err) {
          if (err instanceof AppError && err.field) {
            throw new AppError(err.code, `${i + 1}件目: ${err.message}`, `inputs.${i}.${err.field}`);
          }
          throw err;
        }
      }
      const views: HandoverView[] = [];
      for (const id of ids) views.push(await this.view(tx, id));
      return views;
    });
  }

  private async startIn(tx: Tx, ctx: RequestContext, input: StartHandoverInput): Promise<string> {
    const orgId = ctx.orgId!;
    const reason = assertOneOf('reason', input.reason, HANDOVER_REASONS, '引継ぎの理由');
    const today = japanDate();
    const effectiveOn = assertDateBetween(
      'effectiveOn',
      input.effectiveOn,
      today,
      addDays(today, MAX_DAYS_AHEAD),
      '効力発生日',
    );
    if (!isUuid(input.fromUserId)) throw badInput('fromUserId', '引継ぎ元にはこの機関の職員を指定してください。');
    // A supporter starts only their own handover; a coordinator anyone's.
    assertCan(
      ctx,
      'create',
      'Handover',
      { orgId, fromUserId: input.fromUserId, toUserId: input.toUserId, moved: false },
      '自分以外の引継ぎを開始できるのはコーディネーターのみです。',
    );
    const [leaver]: unknown[] = await tx.query('SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2', [
      orgId,
      input.fromUserId,
    ]);
    if (!leaver) throw badInput('fromUserId', '引継ぎ元にはこの機関の職員を指定してください。');
    await this.assertSuccessor(tx, orgId, input.fromUserId, input.toUserId, effectiveOn);

    const cases = await this.coveredCases(tx, orgId, input.fromUserId, input.caseIds);
    const busy: { case_id: string }[] = await tx.query(
      'SELECT case_id FROM handover_cases WHERE org_id = $1 AND case_id = ANY ($2::uuid[]) AND live',
      [orgId, cases.map((c) => c.id)],
    );
    if (busy.length) {
      throw conflict(`すでに進行中の引継ぎに含まれているケースがあります (${busy.length}件)。`, 'caseIds');
    }
    const [created]: { id: string }[] = await tx.query(
      `INSERT INTO handovers (org_id, from_user_id, to_user_id, reason, effective_on, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [orgId, input.fromUserId, input.toUserId, reason, effectiveOn, ctx.user.id],
    );
    const id = created!.id;
    await tx.query(
      `INSERT INTO handover_cases (handover_id, case_id, org_id, position)
       SELECT $1, c, $2, ord - 1 FROM unnest($3::uuid[]) WITH ORDINALITY AS u(c, ord)`,
      [id, orgId, cases.map((c) => c.id)],
    );
    // On the date the assignments move; the coordinators hear of a handover not submitted by then, or not
    // acknowledged three days after (the worker's reminders).
    await scheduleReminders(tx, [
      { orgId, kind: 'HANDOVER_MOVE', subjectId: id, dueAt: jstAt(effectiveOn, 0) },
      { orgId, kind: 'HANDOVER_NOT_SUBMITTED', subjectId: id, dueAt: jstAt(effectiveOn, 9) },
      {
        orgId,
        kind: 'HANDOVER_NOT_ACKNOWLEDGED',
        subjectId: id,
        dueAt: jstAt(addDays(effectiveOn, ACKNOWLEDGE_GRACE_DAYS + 1), 9),
      },
    ]);
    await this.caseEffects(tx, ctx, orgId, id, cases, {
      action: 'handover.started',
      summary: `引継ぎを開始しました（${HANDOVER_REASON_LABELS[reason]}、${jpDate(effectiveOn)}付）`,
      fields: ['fromUser', 'toUser', 'reason', 'effectiveOn', 'cases'],
    });
    return id;
  }

  /** The successor: an active SUPPORTER or COORDINATOR of the organization, other than the leaver, in post then. */
  private async assertSuccessor(tx: Tx, orgId: string, fromUserId: string, toUserId: string, effectiveOn: string) {
    if (toUserId === fromUserId) throw badInput('toUserId', '後任者には引継ぎ元と別の職員を指定してください。');
    const holder = await caseHolder(tx, orgId, toUserId);
    if (!holder) throw badInput('toUserId', '後任者に指定できるのは、この機関の支援者またはコーディネーターです。');
    const [term]: { ends: string | null }[] = await tx.query(
      `SELECT to_char(min(m.term_ends_on), 'YYYY-MM-DD') AS ends FROM memberships m
        WHERE m.org_id = $1 AND m.user_id = $2 AND ${ACTIVE_MEMBERSHIP('m')}`,
      [orgId, toUserId],
    );
    if (term?.ends && term.ends < effectiveOn) {
      throw badInput('toUserId', `後任者の任期 (${term.ends}まで) が効力発生日より前に終わります。`);
    }
  }

  /**
   * The cases a handover covers, locked: the listed ones (each an open case of the organization that the leaver is
   * assigned to) or, when none are listed, every open case the leaver is assigned to.
   */
  private async coveredCases(tx: Tx, orgId: string, fromUserId: string, caseIds: readonly string[] | null | undefined) {
    const assigned = `EXISTS (SELECT 1 FROM case_assignments a WHERE a.org_id = c.org_id AND a.case_id = c.id
      AND a.user_id = $2 AND a.to_at IS NULL)`;
    if (caseIds == null) {
      const rows: { id: string; client_id: string }[] = await tx.query(
        `SELECT c.id, c.client_id FROM cases c WHERE c.org_id = $1 AND c.status = 'OPEN' AND ${assigned}
          ORDER BY c.opened_at, c.id FOR UPDATE OF c`,
        [orgId, fromUserId],
      );
      if (rows.length === 0) throw badInput('fromUserId', '引継ぎ元が担当している支援中のケースがありません。');
      if (rows.length > MAX_CASES) throw badInput('caseIds', `1件の引継ぎに含められるケースは${MAX_CASES}件までです。`);
      return rows;
    }
    if (caseIds.length === 0 || caseIds.length > MAX_CASES) {
      throw badInput('caseIds', `引継ぐケースを1〜${MAX_CASES}件指定してください。`);
    }
    const ids = uniqueOrFail('caseIds', caseIds);
    if (!ids.every(isUuid)) throw notFound('ケース');
    const rows: { id: string; client_id: string; status: string; assigned: boolean }[] = await tx.query(
      `SELECT c.id, c.client_id, c.status, ${assigned} AS assigned FROM cases c
        WHERE c.org_id = $1 AND c.id = ANY ($3::uuid[]) FOR UPDATE OF c`,
      [orgId, fromUserId, ids],
    );
    if (rows.length !== ids.length) throw notFound('ケース');
    if (rows.some((r) => r.status !== 'OPEN')) throw badInput('caseIds', '終結したケースは引継げません。');
    if (rows.some((r) => !r.assigned)) throw badInput('caseIds', '引継ぎ元が担当していないケースが含まれています。');
    const order = new Map(ids.map((id, i) => [id, i]));
    return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  }

  async get(ctx: RequestContext, id: string): Promise<HandoverView> {
    assertCan(ctx, 'read', 'Handover');
    return this.db.run(tenantScope(ctx), async (tx) => toHandoverView(await reachHandover(tx, ctx, id, 'read')));
  }

  /**
   * Handovers the caller may read: by status, leaver, successor (or the caller's own incoming list), effective date
   * range and overdue state; upcoming first (effective date, then id), keyset-paginated.
   */
  async list(
    ctx: RequestContext,
    filter: HandoverFilter | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<HandoverView>> {
    assertCan(ctx, 'read', 'Handover');
    const limit = pageSize(first);
    const cursor = decodeCursor(after, 2);
    if (cursor && (typeof cursor[0] !== 'string' || !isIsoDate(cursor[0]) || !isUuid(String(cursor[1])))) {
      throw badInput('after', 'カーソルの形式が正しくありません。');
    }
    const params: unknown[] = [ctx.orgId];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = ['h.org_id = $1', abilityToSql(ctx.ability, 'read', 'Handover', HANDOVER_CONDITIONS, params)];
    if (filter?.status?.length) {
      where.push(`h.status = ANY (${p(assertSetOf('filter.status', filter.status, HANDOVER_STATUSES, '状態'))})`);
    }
    for (const [key, column] of [
      ['fromUserId', 'from_user_id'],
      ['toUserId', 'to_user_id'],
    ] as const) {
      const v = filter?.[key];
      if (v == null) continue;
      if (!isUuid(v)) throw badInput(`filter.${key}`, '職員の指定が正しくありません。');
      where.push(`h.${column} = ${p(v)}::uuid`);
    }
    if (filter?.incoming) where.push(`h.to_user_id = ${p(ctx.user.id)}::uuid AND h.status <> 'CANCELLED'`);
    if (filter?.effectiveFrom != null) {
      where.push(
        `h.effective_on >= ${p(assertDateBetween('filter.effectiveFrom', filter.effectiveFrom, '2000-01-01', '2100-12-31', '開始日'))}::date`,
      );
    }
    if (filter?.effectiveTo != null) {
      where.push(
        `h.effective_on <= ${p(assertDateBetween('filter.effectiveTo', filter.effectiveTo, '2000-01-01', '2100-12-31', '終了日'))}::date`,
      );
    }
    if (filter?.overdue != null) where.push(`(${HANDOVER_OVERDUE_SQL}) IS ${filter.overdue ? 'NOT ' : ''}NULL`);
    const countSql = `SELECT count(*)::int AS count FROM handovers h WHERE ${where.join(' AND ')}`;
    const countParams = [...params];
    if (cursor) where.push(`(h.effective_on, h.id) > (${p(cursor[0])}::date, ${p(cursor[1])}::uuid)`);
    const pageSql = `${HANDOVER_SELECT} WHERE ${where.join(' AND ')} ORDER BY h.effective_on, h.id LIMIT ${p(limit + 1)}`;
    return this.db.run(tenantScope(ctx), async (tx) => {
      const rows: HandoverRow[] = await tx.query(pageSql, params);
      const [{ count }]: { count: number }[] = await tx.query(countSql, countParams);
      return toPage(rows, limit, count, toHandoverView, (r) => [r.effective_on, r.id]);
    });
  }

  /**
   * Writes a case's note (a new version; the previous ones are kept). Omitted fields keep their value, null clears
   * one. Only while the handover is a DRAFT, by the leaver or a coordinator.
   */
  async writeNote(
    ctx: RequestContext,
    handoverId: string,
    caseId: string,
    input: HandoverNoteInput,
  ): Promise<HandoverNoteView> {
    assertCan(ctx, 'update', 'Handover');
    const changes = validateNote(input);
    return this.db.run(tenantScope(ctx), async (tx) => {
      const h = await reachHandover(tx, ctx, handoverId, 'update', { lock: true });
      if (!isUuid(caseId) || !h.case_ids.includes(caseId)) throw notFound('ケース');
      if (h.status !== 'DRAFT') throw invalidTransition('提出後の引継ぎノートは変更できません。');
      const [current] = (await this.latestNotes(tx, h.org_id, [h.id])).filter((n) => n.caseId === caseId);
      const next = { ...current!, ...changes };
      await tx.query(
        `INSERT INTO handover_notes (org_id, handover_id, case_id, version, situation, next_actions, cautions,
           key_contacts, client_informed_on, written_by)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)`,
        [
          h.org_id,
          h.id,
          caseId,
          current!.version + 1,
          next.situation,
          JSON.stringify(next.actions),
          next.cautions,
          next.keyContacts,
          next.clientInformedOn,
          ctx.user.id,
        ],
      );
      await this.audit.record(tx, {
        orgId: h.org_id,
        actorUserId: ctx.user.id,
        action: 'handover.note.written',
        subjectType: 'Case',
        subjectId: caseId,
        fields: Object.keys(changes).sort(),
        purpose: 'HANDOVER',
        requestId: ctx.requestId,
      });
      const [written] = (await this.latestNotes(tx, h.org_id, [h.id])).filter((n) => n.caseId === caseId);
      return written!;
    });
  }

  /**
   * DRAFT → SUBMITTED. Every open case needs its note; a coordinator may submit without some, giving the reason
   * (each such case gets its own audit event).
   */
  async submit(ctx: RequestContext, id: string, overrideReason?: string | null): Promise<HandoverView> {
    assertCan(ctx, 'update', 'Handover');
    const override = overrideReason == null ? null : cleanText('overrideReason', overrideReason, { min: 1, max: 1000 });
    return this.db.run(tenantScope(ctx), async (tx) => {
      const h = await reachHandover(tx, ctx, id, 'update', { lock: true });
      if (h.status !== 'DRAFT') throw invalidTransition('この引継ぎはすでに提出されています。');
      const open: { id: string }[] = await tx.query(
        `SELECT id FROM cases WHERE org_id = $1 AND id = ANY ($2::uuid[]) AND status = 'OPEN'`,
        [h.org_id, h.case_ids],
      );
      const openIds = new Set(open.map((c) => c.id));
      const missing = (await this.latestNotes(tx, h.org_id, [h.id]))
        .filter((n) => openIds.has(n.caseId) && !hasNote(n))
        .map((n) => n.caseId);
      if (missing.length && !override) {
        throw invalidTransition(
          `引継ぎノート（現在の状況）が未記入のケースが${missing.length}件あります。記入するか、コーディネーターが理由を付けて提出してください。`,
        );
      }
      if (missing.length) {
        assertCan(
          ctx,
          'coordinate',
          'Handover',
          handoverSubject(h),
          'ノートが未記入のまま提出できるのはコーディネーターのみです。',
        );
      }
      await tx.query(
        `UPDATE handovers SET status = 'SUBMITTED', submitted_at = now(), submitted_by = $2, override_reason = $3
          WHERE id = $1`,
        [h.id, ctx.user.id, missing.length ? override : null],
      );
      await this.audit.recordMany(
        tx,
        missing.map((caseId) => ({
          orgId: h.org_id,
          actorUserId: ctx.user.id,
          action: 'handover.note.waived',
          subjectType: 'Case',
          subjectId: caseId,
          fields: ['overrideReason'],
          purpose: 'HANDOVER',
          requestId: ctx.requestId,
        })),
      );
      await writeOutbox(tx, [{ orgId: h.org_id, kind: 'handover.submitted', payload: { handoverId: h.id } }]);
      await this.caseEffects(tx, ctx, h.org_id, h.id, await this.casesOf(tx, h), {
        action: 'handover.submitted',
        summary: '引継ぎが提出されました',
        fields: ['status'],
      });
      return this.view(tx, h.id);
    });
  }

  /**
   * SUBMITTED → ACKNOWLEDGED, by the successor only. On or after the effective date the assignments move in the
   * same transaction (both or neither); before it, the effective-date job moves them.
   */
  async acknowledge(ctx: RequestContext, id: string): Promise<HandoverView> {
    assertCan(ctx, 'acknowledge', 'Handover');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const h = await reachHandover(tx, ctx, id, 'acknowledge', { lock: true });
      if (h.status === 'DRAFT') throw invalidTransition('提出前の引継ぎは確認できません。');
      if (h.status !== 'SUBMITTED') throw invalidTransition('この引継ぎは確認できる状態ではありません。');
      await tx.query(`UPDATE handovers SET status = 'ACKNOWLEDGED', acknowledged_at = now() WHERE id = $1`, [h.id]);
      await this.caseEffects(tx, ctx, h.org_id, h.id, await this.casesOf(tx, h), {
        action: 'handover.acknowledged',
        summary: '後任者が引継ぎを確認しました',
        fields: ['status'],
      });
      if (h.moved_at === null && h.effective_on <= japanDate()) await this.moveAssignments(tx, h, ctx.user.id);
      return this.view(tx, h.id);
    });
  }

  /** A coordinator names another successor, before submission. */
  async reassign(ctx: RequestContext, id: string, toUserId: string): Promise<HandoverView> {
    assertCan(ctx, 'coordinate', 'Handover');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const h = await reachHandover(tx, ctx, id, 'coordinate', { lock: true });
      if (h.status !== 'DRAFT') throw invalidTransition('提出後の引継ぎは後任者を変更できません。');
      if (toUserId === h.to_user_id) throw conflict('この職員はすでに後任者です。', 'toUserId');
      await this.assertSuccessor(tx, h.org_id, h.from_user_id, toUserId, h.effective_on);
      await tx.query('UPDATE handovers SET to_user_id = $2 WHERE id = $1', [h.id, toUserId]);
      await this.caseEffects(tx, ctx, h.org_id, h.id, await this.casesOf(tx, h), {
        action: 'handover.reassigned',
        summary: '引継ぎの後任者が変更されました',
        fields: ['toUser'],
      });
      return this.view(tx, h.id);
    });
  }

  /** A coordinator cancels a handover whose assignments have not moved; its notes stay readable. */
  async cancel(ctx: RequestContext, id: string, reason: string): Promise<HandoverView> {
    assertCan(ctx, 'coordinate', 'Handover');
    const why = cleanText('reason', reason, { min: 1, max: 1000 });
    return this.db.run(tenantScope(ctx), async (tx) => {
      const h = await reachHandover(tx, ctx, id, 'coordinate', { lock: true });
      if (h.status === 'CANCELLED') throw invalidTransition('この引継ぎはすでに中止されています。');
      if (h.moved_at) throw invalidTransition('担当の移行が済んだ引継ぎは中止できません。');
      await tx.query(
        `UPDATE handovers SET status = 'CANCELLED', cancelled_at = now(), cancelled_by = $2, cancel_reason = $3
          WHERE id = $1`,
        [h.id, ctx.user.id, why],
      );
      await tx.query('UPDATE handover_cases SET live = false WHERE handover_id = $1', [h.id]);
      await this.caseEffects(tx, ctx, h.org_id, h.id, await this.casesOf(tx, h), {
        action: 'handover.cancelled',
        summary: '引継ぎが中止されました',
        fields: ['status', 'cancelReason'],
      });
      return this.view(tx, h.id);
    });
  }

  /**
   * The effective-date job's work for one organization (the worker calls it; it needs no user): every handover due
   * on or before `asOf` whose assignments have not moved moves now, whatever its status, each in its own
   * transaction. Safe to run twice and from several workers: a moved or locked handover is skipped.
   */
  async moveDueAssignments(orgId: string, asOf: string = japanDate()): Promise<string[]> {
    if (!isUuid(orgId) || !isIsoDate(asOf)) throw new Error('moveDueAssignments: orgId and asOf (YYYY-MM-DD)');
    const scope = { orgId, userId: null };
    const due: { id: string }[] = await this.db.run(scope, (tx) =>
      tx.query(
        `SELECT id FROM handovers WHERE org_id = $1 AND effective_on <= $2::date AND moved_at IS NULL
            AND status <> 'CANCELLED' ORDER BY effective_on, id`,
        [orgId, asOf],
      ),
    );
    const moved: string[] = [];
    for (const { id } of due) {
      if (await this.db.run(scope, (tx) => this.moveIfDue(tx, orgId, id, asOf))) moved.push(id);
    }
    return moved;
  }

  /**
   * Moves one handover's assignments in the caller's transaction (acting for `orgId`, no user) if it is due on
   * `asOf`, not moved and not cancelled. True when it moved. By default a handover another transaction holds is
   * skipped (the batch above, run by several workers); with `skipLocked: false` the call waits for it and decides on
   * what that transaction left — the effective-date reminder must, since the escalation reminders of the same day
   * lock the same row, and a skipped move would be marked done and never happen.
   */
  async moveIfDue(
    tx: Tx,
    orgId: string,
    handoverId: string,
    asOf: string = japanDate(),
    opts: { skipLocked?: boolean } = {},
  ): Promise<boolean> {
    const [h]: HandoverRow[] = await tx.query(
      `${HANDOVER_SELECT} WHERE h.id = $1 AND h.org_id = $2 AND h.moved_at IS NULL AND h.status <> 'CANCELLED'
        AND h.effective_on <= $3::date FOR UPDATE OF h${opts.skipLocked === false ? '' : ' SKIP LOCKED'}`,
      [handoverId, orgId, asOf],
    );
    if (!h) return false;
    await this.moveAssignments(tx, h, null);
    return true;
  }

  /**
   * The move: on each open case, the leaver's current assignment ends and the successor's starts (the history keeps
   * both). Where the leaver no longer holds a case (a coordinator reassigned it meanwhile) it stays as set, unless
   * nobody holds it: no case is left without a supporter.
   */
  private async moveAssignments(tx: Tx, h: HandoverRow, actorUserId: string | null): Promise<void> {
    const ended = await queryRows<{ case_id: string }>(
      tx,
      `UPDATE case_assignments a SET to_at = now(), ended_by = $4
         FROM handover_cases hc JOIN cases c ON c.id = hc.case_id
        WHERE hc.handover_id = $1 AND hc.org_id = $2 AND c.status = 'OPEN'
          AND a.org_id = c.org_id AND a.case_id = c.id AND a.user_id = $3 AND a.to_at IS NULL
        RETURNING a.case_id`,
      [h.id, h.org_id, h.from_user_id, actorUserId],
    );
    const started = await queryRows<{ case_id: string }>(
      tx,
      `INSERT INTO case_assignments (org_id, case_id, user_id, assigned_by)
       SELECT c.org_id, c.id, $3, $5 FROM handover_cases hc JOIN cases c ON c.id = hc.case_id
        WHERE hc.handover_id = $1 AND hc.org_id = $2 AND c.status = 'OPEN'
          AND (c.id = ANY ($4::uuid[]) OR NOT EXISTS (SELECT 1 FROM case_assignments a
                WHERE a.org_id = c.org_id AND a.case_id = c.id AND a.to_at IS NULL))
       ON CONFLICT (case_id, user_id) WHERE to_at IS NULL DO NOTHING
       RETURNING case_id`,
      [h.id, h.org_id, h.to_user_id, ended.map((e) => e.case_id), actorUserId],
    );
    await tx.query('UPDATE handovers SET moved_at = now() WHERE id = $1', [h.id]);
    await tx.query('UPDATE handover_cases SET live = false WHERE handover_id = $1', [h.id]);
    const changed = new Set([...ended, ...started].map((r) => r.case_id));
    const cases = (await this.casesOf(tx, h)).filter((c) => changed.has(c.id));
    await appendTimeline(
      tx,
      cases.map((c) => ({
        orgId: h.org_id,
        clientId: c.client_id,
        caseId: c.id,
        kind: 'HANDOVER',
        summary: `引継ぎにより担当者が交代しました（${jpDate(h.effective_on)}付）`,
        authorUserId: actorUserId,
        authorOrgId: h.org_id,
      })),
    );
    await this.audit.recordMany(tx, [
      ...cases.map((c): AuditInput => ({
        orgId: h.org_id,
        actorUserId,
        action: 'case.assigned',
        subjectType: 'Case',
        subjectId: c.id,
        fields: ['assignees'],
        purpose: 'HANDOVER',
      })),
      {
        orgId: h.org_id,
        actorUserId,
        action: 'handover.assignments_moved',
        subjectType: 'Handover',
        subjectId: h.id,
        fields: ['assignees'],
        purpose: 'HANDOVER',
      },
    ]);
  }

  /**
   * The latest note of each case of the handovers, for the `notes` field. Reading them is an access for the
   * handover: one audit event per handover read.
   */
  async notesByHandoverIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, HandoverNoteView[]>> {
    const valid = ids.filter(isUuid);
    const out = new Map<string, HandoverNoteView[]>(ids.map((id) => [id, []]));
    if (!ctx.orgId || valid.length === 0) return out;
    await this.db.run(tenantScope(ctx), async (tx) => {
      for (const n of await this.latestNotes(tx, ctx.orgId!, valid)) out.get(n.handoverId)?.push(n);
      await this.audit.recordMany(
        tx,
        valid
          .filter((id) => out.get(id)?.length)
          .map((id) => ({
            orgId: ctx.orgId!,
            actorUserId: ctx.user.id,
            action: 'handover.notes.read',
            subjectType: 'Handover',
            subjectId: id,
            fields: ['notes'],
            purpose: 'HANDOVER',
            requestId: ctx.requestId,
          })),
      );
    });
    return out;
  }

  /** Packs of cases the caller reached through a handover's notes; each pack read is audited (purpose HANDOVER). */
  async packsByCaseIds(ctx: RequestContext, caseIds: readonly string[]): Promise<Map<string, HandoverPack>> {
    const valid = caseIds.filter(isUuid);
    if (!ctx.orgId || valid.length === 0) return new Map();
    return this.db.run(tenantScope(ctx), async (tx) => {
      const packs = await buildPacks(tx, ctx.orgId!, valid);
      await this.audit.recordMany(
        tx,
        [...packs.keys()].map((caseId) => ({
          orgId: ctx.orgId!,
          actorUserId: ctx.user.id,
          action: 'handover.pack.read',
          subjectType: 'Case',
          subjectId: caseId,
          fields: ['pack'],
          purpose: 'HANDOVER',
          requestId: ctx.requestId,
        })),
      );
      return packs;
    });
  }

  /**
   * The coordinator's rotation view: memberships whose term ends within `withinDays` (or has ended) while their
   * holder still has open cases that no live handover covers; by status, the handovers still to take effect and
   * those that took effect in the last `withinDays`; and how many are overdue.
   */
  async rotation(ctx: RequestContext, withinDays = 30): Promise<RotationView> {
    assertCan(ctx, 'coordinate', 'Handover');
    const days = assertIntBetween('withinDays', withinDays, 1, 366);
    return this.db.run(tenantScope(ctx), async (tx) => {
      const ending: { user_id: string; term_ends_on: string; open_cases: number; uncovered: number }[] = await tx.query(
        `SELECT m.user_id, to_char(m.term_ends_on, 'YYYY-MM-DD') AS term_ends_on,
                  count(c.id)::int AS open_cases,
                  count(c.id) FILTER (WHERE NOT EXISTS (SELECT 1 FROM handover_cases hc
                                       WHERE hc.org_id = c.org_id AND hc.case_id = c.id AND hc.live))::int AS uncovered
             FROM memberships m
             JOIN case_assignments a ON a.org_id = m.org_id AND a.user_id = m.user_id AND a.to_at IS NULL
             JOIN cases c ON c.id = a.case_id AND c.org_id = m.org_id AND c.status = 'OPEN'
            WHERE m.org_id = $1 AND m.ended_at IS NULL AND m.term_ends_on IS NOT NULL
              AND m.term_ends_on <= (now() AT TIME ZONE 'Asia/Tokyo')::date + $2::int
            GROUP BY m.user_id, m.term_ends_on
           HAVING count(c.id) FILTER (WHERE NOT EXISTS (SELECT 1 FROM handover_cases hc
                                       WHERE hc.org_id = c.org_id AND hc.case_id = c.id AND hc.live)) > 0
            ORDER BY m.term_ends_on, m.user_id`,
        [ctx.orgId, days],
      );
      const counts: { status: HandoverStatus; count: number; overdue: number }[] = await tx.query(
        `SELECT h.status, count(*)::int AS count, count(*) FILTER (WHERE (${HANDOVER_OVERDUE_SQL}) IS NOT NULL)::int AS overdue
           FROM handovers h
          WHERE h.org_id = $1 AND (h.effective_on >= (now() AT TIME ZONE 'Asia/Tokyo')::date - $2::int
                                   OR (h.moved_at IS NULL AND h.status <> 'CANCELLED'))
          GROUP BY h.status`,
        [ctx.orgId, days],
      );
      return {
        withinDays: days,
        endingTerms: ending.map((r) => ({
          userId: r.user_id,
          termEndsOn: r.term_ends_on,
          openCaseCount: r.open_cases,
          uncoveredCaseCount: r.uncovered,
        })),
        statusCounts: HANDOVER_STATUSES.map((status) => ({
          status,
          count: counts.find((c) => c.status === status)?.count ?? 0,
        })),
        overdueCount: counts.reduce((n, c) => n + c.overdue, 0),
      };
    });
  }

  private latestNotes(tx: Tx, orgId: string, handoverIds: readonly string[]): Promise<HandoverNoteView[]> {
    return tx.query(LATEST_NOTES_SQL, [handoverIds, orgId]).then((rows: NoteRow[]) => rows.map(toNoteView));
  }

  private async casesOf(tx: Tx, h: HandoverRow): Promise<{ id: string; client_id: string }[]> {
    return tx.query(
      `SELECT c.id, c.client_id FROM handover_cases hc JOIN cases c ON c.id = hc.case_id
        WHERE hc.handover_id = $1 AND hc.org_id = $2 ORDER BY hc.position`,
      [h.id, h.org_id],
    );
  }

  private async view(tx: Tx, id: string): Promise<HandoverView> {
    const [row]: HandoverRow[] = await tx.query(`${HANDOVER_SELECT} WHERE h.id = $1`, [id]);
    return toHandoverView(row!);
  }

  /** A handover step's timeline entry on each case and its audit event. */
  private async caseEffects(
    tx: Tx,
    ctx: RequestContext,
    orgId: string,
    handoverId: string,
    cases: readonly { id: string; client_id: string }[],
    step: { action: string; summary: string; fields: string[] },
  ) {
    await appendTimeline(
      tx,
      cases.map((c): NewTimelineEntry => ({
        orgId,
        clientId: c.client_id,
        caseId: c.id,
        kind: 'HANDOVER',
        summary: step.summary,
        authorUserId: ctx.user.id,
        authorOrgId: orgId,
      })),
    );
    await this.audit.record(tx, {
      orgId,
      actorUserId: ctx.user.id,
      action: step.action,
      subjectType: 'Handover',
      subjectId: handoverId,
      fields: step.fields,
      purpose: 'HANDOVER',
      requestId: ctx.requestId,
    });
  }
}

/** A note's changes, validated: only the fields the input names (null clears one). */
function validateNote(input: HandoverNoteInput): Partial<HandoverNoteView> {
  const out: Partial<HandoverNoteView> = {};
  const text = (field: 'situation' | 'cautions' | 'keyContacts', max: number) => {
    const v = input[field];
    if (v === undefined) return;
    out[field] = v === null ? null : cleanText(field, v, { max }) || null;
  };
  text('situation', 4000);
  text('cautions', 4000);
  text('keyContacts', 2000);
  if (input.nextActions != null && input.actions != null) {
    throw badInput('actions', 'nextActions と actions はどちらか一方で指定してください。');
  }
  const today = japanDate();
  const actions =
    input.actions !== undefined && input.actions !== null
      ? input.actions
      : input.nextActions === undefined
        ? undefined
        : (input.nextActions ?? []).map((text) => ({ text, dueOn: null }));
  if (actions !== undefined || input.actions === null) {
    const list = actions ?? [];
    if (list.length > MAX_ACTIONS) throw badInput('actions', `次の対応は${MAX_ACTIONS}件までです。`);
    out.actions = list.map((a, i) => ({
      text: cleanText(`actions.${i}.text`, a.text, { min: 1, max: 500 }),
      dueOn:
        a.dueOn == null
          ? null
          : assertDateBetween(`actions.${i}.dueOn`, a.dueOn, today, addDays(today, 2 * 366), '対応期限'),
    }));
  }
  if (input.clientInformedOn !== undefined) {
    out.clientInformedOn =
      input.clientInformedOn === null
        ? null
        : assertDateBetween('clientInformedOn', input.clientInformedOn, addDays(today, -366), today, '本人への説明日');
  }
  if (Object.keys(out).length === 0) throw badInput('input', '記入する項目を1つ以上指定してください。');
  return out;
}
