import { Injectable } from '@nestjs/common';
import {
  abilityToSql,
  addBusinessDays,
  assertCan,
  badInput,
  conflict,
  consentRequired,
  Database,
  invalidTransition,
  japanDate,
  notFound,
  tenantScope,
  type Action,
  type RequestContext,
  type Tx,
} from '@tasuki/platform';
import { writeOutbox } from '../outbox/outbox.js';
import { scheduleReminders } from '../reminders/reminder.model.js';
import { AuditService } from '../audit/audit.service.js';
import { caseHolder, reachCase } from '../cases/case-access.js';
import { DATA_CATEGORIES } from '../clients/client.model.js';
import { decodeTimeCursor, pageSize, toPage, type Page } from '../shared/pagination.js';
import { assertDateBetween, assertOneOf, assertSetOf, cleanText, isUuid } from '../shared/validation.js';
import { appendTimeline } from '../timeline/timeline.model.js';
import { defaultRespondBy, unansweredReminders } from './referral-dates.js';
import { recordTransitionEffects, transitionReferral } from './referral-transitions.js';
import {
  DECLINE_CODES,
  REFERRAL_COLUMNS,
  REFERRAL_CONDITIONS,
  REFERRAL_REASONS,
  REFERRAL_STATUSES,
  toReferralView,
  URGENCIES,
  type ReferralDirection,
  type ReferralRow,
  type ReferralStatus,
  type ReferralTransitionView,
  type ReferralView,
  type SendReferralInput,
} from './referral.model.js';

type Side = 'sender' | 'recipient' | 'either';

@Injectable()
export class ReferralsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /**
   * Sends a referral from one of the caller's open cases. Refused with CONSENT_REQUIRED unless an ACTIVE grant the
   * organization recorded covers the recipient, the REFERRAL purpose and every shared category. Writes the data
   * provision record (第三者提供記録) and both organizations' timeline entries.
   */
  async send(ctx: RequestContext, input: SendReferralInput): Promise<ReferralView> {
    assertCan(ctx, 'create', 'Referral');
    const reason = assertOneOf('reason', input.reason, REFERRAL_REASONS, '紹介の理由');
    const shared = assertSetOf('sharedCategories', input.sharedCategories, DATA_CATEGORIES, '共有する情報の区分');
    const urgency = assertOneOf('urgency', input.urgency ?? 'NORMAL', URGENCIES, '緊急度');
    const message = input.message ? cleanText('message', input.message, { max: 2000 }) : null;
    const today = japanDate();
    const respondBy = input.respondBy
      ? assertDateBetween('respondBy', input.respondBy, today, addBusinessDays(today, 250), '回答期限')
      : defaultRespondBy(today);
    if (!isUuid(input.toOrganizationId)) throw badInput('toOrganizationId', '紹介先の機関が見つかりません。');
    if (input.toOrganizationId === ctx.orgId) throw badInput('toOrganizationId', '自機関には紹介できません。');

    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachCase(tx, ctx, input.caseId, 'update', { lock: true, open: true });
      const [to]: { id: string; accepts_referrals: boolean }[] = await tx.query(
        'SELECT id, accepts_referrals FROM organizations WHERE id = $1',
        [input.toOrganizationId],
      );
      if (!to) throw badInput('toOrganizationId', '紹介先の機関が見つかりません。');
      if (!to.accepts_referrals) throw badInput('toOrganizationId', 'この機関は現在紹介を受け付けていません。');
      // What this organization may pass on is what it may itself read of the client.
      const [profile]: { visible_categories: string[] }[] = await tx.query(
        'SELECT visible_categories FROM client_profiles WHERE id = $1',
        [c.client_id],
      );
      const notVisible = shared.filter((s) => !profile?.visible_categories.includes(s));
      if (notVisible.length) {
        throw badInput('sharedCategories', `閲覧できない区分は共有できません: ${notVisible.join(', ')}`);
      }
      // FOR SHARE: a withdrawal committing meanwhile waits for this transaction, then cancels what it sent.
      const [grant]: { id: string }[] = await tx.query(
        `SELECT g.id FROM consent_grants g
          WHERE g.org_id = $1 AND g.client_id = $2 AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND $3::uuid = ANY (g.recipient_org_ids) AND 'REFERRAL' = ANY (g.purposes)
            AND g.categories @> $4::text[]
          ORDER BY g.expires_at DESC NULLS FIRST, g.granted_at DESC LIMIT 1 FOR SHARE`,
        [c.org_id, c.client_id, to.id, shared],
      );
      if (!grant) {
        throw consentRequired(
          '紹介先・目的 (機関紹介)・共有する区分のすべてを含む有効な同意がありません。本人の同意を記録してください。',
          'sharedCategories',
        );
      }
      let previous: string | null = null;
      if (input.previousReferralId) {
        const [p]: { id: string }[] = isUuid(input.previousReferralId)
          ? await tx.query('SELECT id FROM referrals WHERE id = $1 AND org_id = $2 AND client_id = $3', [
              input.previousReferralId,
              c.org_id,
              c.client_id,
            ])
          : [];
        if (!p) throw badInput('previousReferralId', '元の紹介が見つかりません。');
        previous = p.id;
      }
      const open: unknown[] = await tx.query(
        `SELECT 1 FROM referrals WHERE org_id = $1 AND to_org_id = $2 AND client_id = $3
          AND status IN ('DRAFT','SENT','RECEIVED','ACCEPTED')`,
        [c.org_id, to.id, c.client_id],
      );
      if (open.length) throw conflict('この相談者について、同じ機関への紹介がすでに進行中です。');
      const [row]: ReferralRow[] = await tx.query(
        `INSERT INTO referrals AS r (org_id, to_org_id, client_id, from_case_id, consent_id, previous_referral_id,
           reason, urgency, message, shared_categories, status, sent_at, respond_by, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'SENT', now(), $11, $12) RETURNING ${REFERRAL_COLUMNS}`,
        [
          c.org_id,
          to.id,
          c.client_id,
          c.id,
          grant.id,
          previous,
          reason,
          urgency,
          message,
          shared,
          respondBy,
          ctx.user.id,
        ],
      );
      await recordTransitionEffects(tx, row!, null, { orgId: c.org_id, userId: ctx.user.id });
      await scheduleReminders(tx, unansweredReminders(c.org_id, row!.id, respondBy));
      await writeOutbox(tx, [{ orgId: c.org_id, kind: 'referral.sent', payload: { referralId: row!.id } }]);
      await tx.query(
        `INSERT INTO data_provisions (org_id, client_id, recipient_org_id, categories, consent_id, referral_id,
           provided_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [c.org_id, c.client_id, to.id, shared, grant.id, row!.id, ctx.user.id],
      );
      await this.audit.record(tx, {
        orgId: c.org_id,
        actorUserId: ctx.user.id,
        action: 'referral.sent',
        subjectType: 'Referral',
        subjectId: row!.id,
        fields: shared,
        purpose: 'REFERRAL',
        requestId: ctx.requestId,
      });
      return toReferralView(row!, ctx.orgId);
    });
  }

  /**
   * One referral the caller may read. The first read by the recipient organization marks it RECEIVED (開封), in the
   * same transaction, so the sender sees that it was opened.
   */
  async get(ctx: RequestContext, id: string): Promise<ReferralView> {
    assertCan(ctx, 'read', 'Referral');
    return this.db.run(tenantScope(ctx), async (tx) => {
      let r = await this.reach(tx, ctx, id, 'read', 'either', false);
      if (r.to_org_id === ctx.orgId && r.status === 'SENT') {
        // Lock only for the first opening; a concurrent first read waits here and then finds it RECEIVED.
        r = await this.reach(tx, ctx, id, 'read', 'either');
        if (r.status === 'SENT') {
          r = await transitionReferral(tx, r, 'RECEIVED', { orgId: ctx.orgId, userId: ctx.user.id });
          await this.record(ctx, tx, r, 'referral.received');
        }
      }
      return toReferralView(r, ctx.orgId);
    });
  }

  /** Incoming or outgoing referrals the caller may read, optionally by status, newest first. */
  async list(
    ctx: RequestContext,
    direction: ReferralDirection,
    statuses: readonly string[] | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<ReferralView>> {
    assertCan(ctx, 'read', 'Referral');
    const limit = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const params: unknown[] = [ctx.orgId];
    const where = [
      direction === 'INCOMING' ? 'r.to_org_id = $1' : 'r.org_id = $1',
      abilityToSql(ctx.ability, 'read', 'Referral', REFERRAL_CONDITIONS, params),
    ];
    if (statuses && statuses.length) {
      params.push(assertSetOf('status', statuses, REFERRAL_STATUSES, '紹介の状態'));
      where.push(`r.status = ANY ($${params.length}::text[])`);
    }
    const countSql = `SELECT count(*)::int AS count FROM referrals r WHERE ${where.join(' AND ')}`;
    const countParams = [...params];
    if (cursor) {
      params.push(...cursor);
      where.push(`(r.created_at, r.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    return this.db.run(tenantScope(ctx), async (tx) => {
      const rows: ReferralRow[] = await tx.query(
        `SELECT ${REFERRAL_COLUMNS} FROM referrals r WHERE ${where.join(' AND ')}
          ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.length}`,
        params,
      );
      const [{ count }]: { count: number }[] = await tx.query(countSql, countParams);
      return toPage(
        rows,
        limit,
        count,
        (r) => toReferralView(r, ctx.orgId),
        (r) => [r.created_key, r.id],
      );
    });
  }

  /**
   * Accepts an incoming referral (a coordinator of the recipient): opens the organization's case for the client (or
   * reopens a closed one), optionally assigned, while the grant the referral relies on is still ACTIVE.
   */
  async accept(ctx: RequestContext, id: string, assigneeId?: string | null): Promise<ReferralView> {
    assertCan(ctx, 'answer', 'Referral');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const r = await this.reach(tx, ctx, id, 'answer', 'recipient');
      if (r.status !== 'SENT' && r.status !== 'RECEIVED') {
        throw invalidTransition(`この紹介は現在の状態 (${r.status}) では受理できません。`);
      }
      const [grant]: { id: string }[] = await tx.query(
        `SELECT g.id FROM consent_grants g WHERE g.id = $1 AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now()) AND $2::uuid = ANY (g.recipient_org_ids)`,
        [r.consent_id, ctx.orgId],
      );
      if (!grant) throw consentRequired('この紹介が依拠する同意は有効ではありません。受理できません。');
      if (assigneeId && !(await caseHolder(tx, ctx.orgId!, assigneeId))) {
        throw badInput('assigneeId', '担当者に指定できるのは、この機関の支援者またはコーディネーターです。');
      }
      // One case per organization and client: a closed one is reopened, an open one simply gains the referral.
      const [existing]: { id: string; status: string }[] = await tx.query(
        'SELECT id, status FROM cases WHERE org_id = $1 AND client_id = $2 FOR UPDATE',
        [ctx.orgId, r.client_id],
      );
      const reopened = existing?.status === 'CLOSED';
      if (reopened) {
        await tx.query(
          `UPDATE cases SET status = 'OPEN', phase = 'INTAKE', closed_at = NULL, close_reason = NULL,
             updated_at = now() WHERE id = $1`,
          [existing!.id],
        );
      }
      const c =
        existing ??
        (
          (await tx.query('INSERT INTO cases (org_id, client_id) VALUES ($1, $2) RETURNING id', [
            ctx.orgId,
            r.client_id,
          ])) as { id: string }[]
        )[0]!;
      if (assigneeId) {
        await tx.query(
          `INSERT INTO case_assignments (org_id, case_id, user_id, assigned_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (case_id, user_id) WHERE to_at IS NULL DO NOTHING`,
          [ctx.orgId, c.id, assigneeId, ctx.user.id],
        );
      }
      const accepted = await transitionReferral(
        tx,
        r,
        'ACCEPTED',
        { orgId: ctx.orgId!, userId: ctx.user.id },
        { toCaseId: c.id },
      );
      if (reopened) {
        await appendTimeline(tx, [
          {
            orgId: ctx.orgId!,
            clientId: r.client_id,
            caseId: c.id,
            kind: 'CASE_REOPENED',
            summary: '紹介の受理によりケースを再開しました',
            authorUserId: ctx.user.id,
            authorOrgId: ctx.orgId!,
            referralId: r.id,
          },
        ]);
      }
      await this.record(ctx, tx, accepted, 'referral.accepted');
      return toReferralView(accepted, ctx.orgId);
    });
  }

  /** Declines an incoming referral with a code and a reason the sender will read. */
  async decline(ctx: RequestContext, id: string, code: string, reason: string): Promise<ReferralView> {
    assertCan(ctx, 'answer', 'Referral');
    const declineCode = assertOneOf('code', code, DECLINE_CODES, '辞退の理由コード');
    const why = cleanText('reason', reason, { min: 1, max: 1000 });
    return this.move(ctx, id, 'answer', 'recipient', 'DECLINED', { declineCode, reason: why }, 'referral.declined');
  }

  /** Cancels an outgoing referral (the sender), while it is SENT, RECEIVED or ACCEPTED. */
  async cancel(ctx: RequestContext, id: string, reason: string): Promise<ReferralView> {
    assertCan(ctx, 'update', 'Referral');
    const why = cleanText('reason', reason, { min: 1, max: 1000 });
    return this.move(ctx, id, 'update', 'sender', 'CANCELLED', { reason: why }, 'referral.cancelled');
  }

  /** The recipient reports the referred support done, with its outcome. */
  async complete(ctx: RequestContext, id: string, outcome: string): Promise<ReferralView> {
    assertCan(ctx, 'update', 'Referral');
    const text = cleanText('outcome', outcome, { min: 1, max: 1000 });
    return this.move(ctx, id, 'update', 'recipient', 'COMPLETED', { outcome: text }, 'referral.completed');
  }

  /** The recipient reports the referred support failed, with the reason. */
  async fail(ctx: RequestContext, id: string, reason: string): Promise<ReferralView> {
    assertCan(ctx, 'update', 'Referral');
    const why = cleanText('reason', reason, { min: 1, max: 1000 });
    return this.move(ctx, id, 'update', 'recipient', 'FAILED', { reason: why }, 'referral.failed');
  }

  /** Referrals by id for field resolvers: only those the caller may read. */
  async byIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, ReferralView>> {
    const valid = ids.filter(isUuid);
    if (!valid.length || !ctx.orgId) return new Map();
    const params: unknown[] = [valid];
    const access = abilityToSql(ctx.ability, 'read', 'Referral', REFERRAL_CONDITIONS, params);
    const rows: ReferralRow[] = await this.db.run(tenantScope(ctx), (tx) =>
      tx.query(`SELECT ${REFERRAL_COLUMNS} FROM referrals r WHERE r.id = ANY ($1::uuid[]) AND ${access}`, params),
    );
    return new Map(rows.map((r) => [r.id, toReferralView(r, ctx.orgId)]));
  }

  /** Each referral's transitions, oldest first (the referrals were reached by the caller already). */
  async historyByIds(ctx: RequestContext, ids: readonly string[]) {
    const valid = ids.filter(isUuid);
    const rows: {
      referral_id: string;
      from_status: ReferralStatus | null;
      to_status: ReferralStatus;
      at: Date;
      actor_org_id: string | null;
      actor_user_id: string | null;
      reason: string | null;
      code: string | null;
    }[] = valid.length
      ? await this.db.run(tenantScope(ctx), (tx) =>
          tx.query(
            `SELECT referral_id, from_status, to_status, at, actor_org_id, actor_user_id, reason, code
               FROM referral_transitions WHERE referral_id = ANY ($1::uuid[]) ORDER BY at, id`,
            [valid],
          ),
        )
      : [];
    const out = new Map<string, ReferralTransitionView[]>(ids.map((id) => [id, []]));
    for (const t of rows) {
      out.get(t.referral_id)?.push({
        referralId: t.referral_id,
        fromStatus: t.from_status,
        toStatus: t.to_status,
        at: t.at,
        actorOrgId: t.actor_org_id,
        actorUserId: t.actor_user_id,
        reason: t.reason,
        code: t.code,
      });
    }
    return out;
  }

  private async move(
    ctx: RequestContext,
    id: string,
    action: Action,
    side: Side,
    to: ReferralStatus,
    details: Parameters<typeof transitionReferral>[4],
    auditAction: string,
  ): Promise<ReferralView> {
    return this.db.run(tenantScope(ctx), async (tx) => {
      const r = await this.reach(tx, ctx, id, action, side);
      const moved = await transitionReferral(tx, r, to, { orgId: ctx.orgId!, userId: ctx.user.id }, details);
      await this.record(ctx, tx, moved, auditAction);
      return toReferralView(moved, ctx.orgId);
    });
  }

  /**
   * A referral the caller may `action` on, seen from `side`, locked for the transaction unless `lock` is false; NOT_FOUND otherwise (also
   * when it exists but belongs to other organizations, or the caller's side is not the one the action needs).
   */
  private async reach(
    tx: Tx,
    ctx: RequestContext,
    id: string,
    action: Action,
    side: Side,
    lock = true,
  ): Promise<ReferralRow> {
    if (!isUuid(id) || !ctx.orgId) throw notFound('紹介');
    const params: unknown[] = [id, ctx.orgId];
    const access = abilityToSql(ctx.ability, action, 'Referral', REFERRAL_CONDITIONS, params);
    const sideSql = side === 'sender' ? 'r.org_id = $2' : side === 'recipient' ? 'r.to_org_id = $2' : 'true';
    const [row]: ReferralRow[] = await tx.query(
      `SELECT ${REFERRAL_COLUMNS} FROM referrals r WHERE r.id = $1 AND (r.org_id = $2 OR r.to_org_id = $2)
          AND ${sideSql} AND ${access}${lock ? ' FOR UPDATE OF r' : ''}`,
      params,
    );
    if (!row) throw notFound('紹介');
    return row;
  }

  private record(ctx: RequestContext, tx: Tx, r: ReferralRow, action: string) {
    return this.audit.record(tx, {
      orgId: ctx.orgId!,
      actorUserId: ctx.user.id,
      action,
      subjectType: 'Referral',
      subjectId: r.id,
      fields: ['status'],
      purpose: 'REFERRAL',
      requestId: ctx.requestId,
    });
  }
}
