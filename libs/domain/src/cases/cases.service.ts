import { Injectable } from '@nestjs/common';
import {
  abilityToSql,
  assertCan,
  badInput,
  conflict,
  Database,
  invalidTransition,
  queryRows,
  tenantScope,
  type RequestContext,
  type Tx,
} from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import type { UserView } from '../members/member.model.js';
import { cancelScheduledFollowUps } from '../placements/placement.model.js';
import { decodeTimeCursor, pageSize, toPage, type Page } from '../shared/pagination.js';
import { assertIntBetween, assertOneOf, cleanText, isUuid } from '../shared/validation.js';
import { appendTimeline } from '../timeline/timeline.model.js';
import { caseHolder, reachCase } from './case-access.js';
import {
  CASE_CONDITIONS,
  CASE_PHASES,
  CASE_SELECT,
  CASE_STATUSES,
  caseSelect,
  OPEN_REFERRAL_STATUSES,
  toCaseView,
  type AssignmentView,
  type CaseFilter,
  type CaseRow,
  type CaseView,
} from './case.model.js';

const CURRENT_ASSIGNMENT = (user: string) =>
  `EXISTS (SELECT 1 FROM case_assignments a WHERE a.org_id = c.org_id AND a.case_id = c.id AND a.to_at IS NULL${
    user ? ` AND a.user_id = ${user}::uuid` : ''
  })`;
const OPEN_REFERRAL = `(EXISTS (SELECT 1 FROM referrals r WHERE r.org_id = c.org_id AND r.from_case_id = c.id
      AND r.status IN ${OPEN_REFERRAL_STATUSES})
  OR EXISTS (SELECT 1 FROM referrals r WHERE r.to_org_id = c.org_id AND r.to_case_id = c.id
      AND r.status IN ${OPEN_REFERRAL_STATUSES}))`;

@Injectable()
export class CasesService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /**
   * The coordinator's list: the acting organization's cases the caller may read (the ability's conditions become
   * SQL), filtered, most recent activity first, keyset-paginated, with the total under the same filter.
   */
  async list(
    ctx: RequestContext,
    filter: CaseFilter | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<CaseView>> {
    assertCan(ctx, 'read', 'Case');
    const limit = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const params: unknown[] = [ctx.orgId];
    const where = ['c.org_id = $1', abilityToSql(ctx.ability, 'read', 'Case', CASE_CONDITIONS, params)];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter?.status)
      where.push(`c.status = ${p(assertOneOf('filter.status', filter.status, CASE_STATUSES, '状態'))}`);
    if (filter?.phase) where.push(`c.phase = ${p(assertOneOf('filter.phase', filter.phase, CASE_PHASES, 'フェーズ'))}`);
    if (filter?.assigneeId) {
      if (!isUuid(filter.assigneeId)) throw badInput('filter.assigneeId', '担当者の指定が正しくありません。');
      where.push(CURRENT_ASSIGNMENT(p(filter.assigneeId)));
    }
    if (filter?.unassigned != null) where.push(`${filter.unassigned ? 'NOT ' : ''}${CURRENT_ASSIGNMENT('')}`);
    if (filter?.staleDays != null) {
      const days = assertIntBetween('filter.staleDays', filter.staleDays, 1, 3650);
      where.push(`c.last_activity_at < now() - make_interval(days => ${p(days)}::int)`);
    }
    if (filter?.hasOpenReferral != null) where.push(`${filter.hasOpenReferral ? '' : 'NOT '}${OPEN_REFERRAL}`);
    if (filter?.consentExpiringWithinDays != null) {
      const days = assertIntBetween('filter.consentExpiringWithinDays', filter.consentExpiringWithinDays, 1, 365);
      where.push(`EXISTS (SELECT 1 FROM consent_grants g WHERE g.org_id = c.org_id AND g.client_id = c.client_id
        AND g.withdrawn_at IS NULL AND g.expires_at > now()
        AND g.expires_at <= now() + make_interval(days => ${p(days)}::int))`);
    }
    const countSql = `SELECT count(*)::int AS count FROM cases c WHERE ${where.join(' AND ')}`;
    const countParams = [...params];
    if (cursor) where.push(`(c.last_activity_at, c.id) < (${p(cursor[0])}::timestamptz, ${p(cursor[1])}::uuid)`);
    // The total rides on the page as an uncorrelated subquery (computed once); only an empty page after a cursor
    // needs a statement of its own to know it.
    const pageSql = `${caseSelect(`(${countSql}) AS total_count`)} WHERE ${where.join(' AND ')}
      ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ${p(limit + 1)}`;
    return this.db.read(ctx, async (tx) => {
      const rows: (CaseRow & { total_count: number })[] = await tx.query(pageSql, params);
      const count = rows[0]
        ? rows[0].total_count
        : cursor
          ? ((await tx.query(countSql, countParams)) as { count: number }[])[0]!.count
          : 0;
      return toPage(rows, limit, count, toCaseView, (r) => [r.activity_key, r.id]);
    });
  }

  async get(ctx: RequestContext, id: string): Promise<CaseView> {
    assertCan(ctx, 'read', 'Case');
    return this.db.run(tenantScope(ctx), async (tx) => toCaseView(await reachCase(tx, ctx, id, 'read')));
  }

  /** Cases by id for field resolvers: only those the caller may read; the others are absent. */
  async byIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, CaseView>> {
    const valid = ids.filter(isUuid);
    if (!ctx.orgId || valid.length === 0) return new Map();
    const params: unknown[] = [valid, ctx.orgId];
    const access = abilityToSql(ctx.ability, 'read', 'Case', CASE_CONDITIONS, params);
    const rows: CaseRow[] = await this.db.read(ctx, (tx) =>
      tx.query(`${CASE_SELECT} WHERE c.id = ANY ($1::uuid[]) AND c.org_id = $2 AND ${access}`, params),
    );
    return new Map(rows.map((r) => [r.id, toCaseView(r)]));
  }

  /** The assignment history of each case, oldest first. */
  async assignmentsByCaseIds(ctx: RequestContext, caseIds: readonly string[]) {
    const valid = caseIds.filter(isUuid);
    const rows: { case_id: string; user_id: string; from_at: Date; to_at: Date | null }[] = valid.length
      ? await this.db.read(ctx, (tx) =>
          tx.query(
            `SELECT case_id, user_id, from_at, to_at FROM case_assignments
              WHERE org_id = $1 AND case_id = ANY ($2::uuid[]) ORDER BY from_at, id`,
            [ctx.orgId, valid],
          ),
        )
      : [];
    const out = new Map<string, AssignmentView[]>(caseIds.map((id) => [id, []]));
    for (const r of rows) {
      out.get(r.case_id)?.push({ caseId: r.case_id, userId: r.user_id, from: r.from_at, to: r.to_at });
    }
    return out;
  }

  /**
   * The current assignees of each case, as users, in one statement (assignment order). Users the caller may not
   * read — row-level security does not show them, or the ability has no User rule — are left out, as they were when
   * the assignments and the users were loaded one after the other.
   */
  async currentAssigneesByCaseIds(ctx: RequestContext, caseIds: readonly string[]): Promise<Map<string, UserView[]>> {
    const valid = ctx.ability.can('read', 'User') ? caseIds.filter(isUuid) : [];
    const rows: { case_id: string; id: string; display_name: string; email: string }[] = valid.length
      ? await this.db.read(ctx, (tx) =>
          tx.query(
            `SELECT a.case_id, u.id, u.display_name, u.email
               FROM case_assignments a JOIN users u ON u.id = a.user_id
              WHERE a.org_id = $1 AND a.case_id = ANY ($2::uuid[]) AND a.to_at IS NULL
              ORDER BY a.from_at, a.id`,
            [ctx.orgId, valid],
          ),
        )
      : [];
    const out = new Map<string, UserView[]>(caseIds.map((id) => [id, []]));
    for (const r of rows) out.get(r.case_id)?.push({ id: r.id, displayName: r.display_name, email: r.email });
    return out;
  }

  /**
   * Assigns a member (SUPPORTER or COORDINATOR of the organization) to a case; with `replaceExisting`, every other
   * current assignment ends at the same moment (a reassignment). The history keeps every assignment.
   */
  async assign(ctx: RequestContext, caseId: string, userId: string, replaceExisting = false): Promise<CaseView> {
    assertCan(ctx, 'assign', 'Case');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachCase(tx, ctx, caseId, 'assign', { lock: true, open: true });
      const holder = await caseHolder(tx, c.org_id, userId);
      if (!holder) throw badInput('userId', '担当者に指定できるのは、この機関の支援者またはコーディネーターです。');
      const current: { user_id: string }[] = await tx.query(
        'SELECT user_id FROM case_assignments WHERE org_id = $1 AND case_id = $2 AND to_at IS NULL',
        [c.org_id, c.id],
      );
      const already = current.some((a) => a.user_id === userId);
      const ending = replaceExisting ? current.filter((a) => a.user_id !== userId).map((a) => a.user_id) : [];
      if (already && ending.length === 0) throw conflict('この利用者はすでに担当者です。', 'userId');
      if (ending.length) {
        await tx.query(
          `UPDATE case_assignments SET to_at = now(), ended_by = $3
            WHERE org_id = $1 AND case_id = $2 AND to_at IS NULL AND user_id = ANY ($4::uuid[])`,
          [c.org_id, c.id, ctx.user.id, ending],
        );
      }
      if (!already) {
        await tx.query(`INSERT INTO case_assignments (org_id, case_id, user_id, assigned_by) VALUES ($1, $2, $3, $4)`, [
          c.org_id,
          c.id,
          userId,
          ctx.user.id,
        ]);
      }
      await this.assignmentEffects(
        ctx,
        tx,
        c,
        'case.assigned',
        userId,
        ending.length ? '担当者を交代しました' : '担当者を追加しました',
      );
      return toCaseView((await tx.query(`${CASE_SELECT} WHERE c.id = $1`, [c.id]))[0] as CaseRow);
    });
  }

  /** Ends a member's current assignment to a case. */
  async unassign(ctx: RequestContext, caseId: string, userId: string): Promise<CaseView> {
    assertCan(ctx, 'assign', 'Case');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachCase(tx, ctx, caseId, 'assign', { lock: true });
      if (!isUuid(userId)) throw badInput('userId', 'この利用者はこのケースの担当者ではありません。');
      const ended = await queryRows(
        tx,
        `UPDATE case_assignments SET to_at = now(), ended_by = $3
          WHERE org_id = $1 AND case_id = $2 AND user_id = $4 AND to_at IS NULL RETURNING id`,
        [c.org_id, c.id, ctx.user.id, userId],
      );
      if (ended.length === 0) throw badInput('userId', 'この利用者はこのケースの担当者ではありません。');
      await this.assignmentEffects(ctx, tx, c, 'case.unassigned', userId, '担当を外しました');
      return toCaseView((await tx.query(`${CASE_SELECT} WHERE c.id = $1`, [c.id]))[0] as CaseRow);
    });
  }

  private async assignmentEffects(
    ctx: RequestContext,
    tx: Tx,
    c: CaseRow,
    action: string,
    userId: string,
    summary: string,
  ) {
    const [user]: { display_name: string }[] = await tx.query('SELECT display_name FROM users WHERE id = $1', [userId]);
    await appendTimeline(tx, [
      {
        orgId: c.org_id,
        clientId: c.client_id,
        caseId: c.id,
        kind: 'ASSIGNMENT',
        summary: `${summary}: ${user?.display_name ?? '利用者'}`,
        authorUserId: ctx.user.id,
        authorOrgId: c.org_id,
      },
    ]);
    await this.audit.record(tx, {
      orgId: c.org_id,
      actorUserId: ctx.user.id,
      action,
      subjectType: 'Case',
      subjectId: c.id,
      fields: ['assignees'],
      requestId: ctx.requestId,
    });
  }

  /**
   * Closes a case (終結) with a reason. A closed case stays readable, with its history; its follow-ups still
   * SCHEDULED are cancelled (no one will do them).
   */
  async close(ctx: RequestContext, caseId: string, reason: string): Promise<CaseView> {
    assertCan(ctx, 'update', 'Case');
    const why = cleanText('reason', reason, { min: 1, max: 1000 });
    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachCase(tx, ctx, caseId, 'update', { lock: true });
      if (c.status === 'CLOSED') throw invalidTransition('このケースはすでに終結しています。');
      await tx.query(
        `UPDATE cases SET status = 'CLOSED', phase = 'CLOSED', closed_at = now(), close_reason = $2, updated_at = now()
          WHERE id = $1`,
        [c.id, why],
      );
      await cancelScheduledFollowUps(tx, c.id);
      await appendTimeline(tx, [
        {
          orgId: c.org_id,
          clientId: c.client_id,
          caseId: c.id,
          kind: 'CASE_CLOSED',
          summary: 'ケースを終結しました',
          body: why,
          authorUserId: ctx.user.id,
          authorOrgId: c.org_id,
        },
      ]);
      await this.audit.record(tx, {
        orgId: c.org_id,
        actorUserId: ctx.user.id,
        action: 'case.closed',
        subjectType: 'Case',
        subjectId: c.id,
        fields: ['status', 'phase', 'closeReason'],
        requestId: ctx.requestId,
      });
      const [row]: CaseRow[] = await tx.query(`${CASE_SELECT} WHERE c.id = $1`, [c.id]);
      return toCaseView(row!);
    });
  }
}
