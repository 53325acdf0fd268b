import { Injectable } from '@nestjs/common';
import {
  assertCan,
  badInput,
  Database,
  invalidTransition,
  notFound,
  queryRows,
  tenantScope,
  type RequestContext,
} from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { reachClientCase } from '../cases/case-access.js';
import { DATA_CATEGORIES } from '../clients/client.model.js';
import { scheduleReminders } from '../reminders/reminder.model.js';
import { applyConsentEnd } from './consent-end.js';
import { assertOneOf, assertSetOf, cleanLine, cleanText, isUuid, uniqueOrFail } from '../shared/validation.js';
import { appendTimeline } from '../timeline/timeline.model.js';
import {
  CONSENT_COLUMNS,
  CONSENT_READABLE,
  CONSENT_GRANTORS,
  CONSENT_METHODS,
  CONSENT_PURPOSE_LABELS,
  CONSENT_PURPOSES,
  toConsentView,
  type ConsentGrantView,
  type ConsentRow,
  type RecordConsentInput,
} from './consent.model.js';

/** How long before its expiry a grant's case assignees are reminded (PRODUCT.md §3). */
export const CONSENT_WARNING_DAYS = 30;

const MAX_VALIDITY_MS = 10 * 366 * 24 * 3600_000;

@Injectable()
export class ConsentsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** Records what the client agreed to, on a client the caller works with (opt-in: nothing is shared without it). */
  async record(ctx: RequestContext, input: RecordConsentInput): Promise<ConsentGrantView> {
    assertCan(ctx, 'create', 'ConsentGrant');
    const recipients = uniqueOrFail('recipientOrganizationIds', input.recipientOrganizationIds);
    if (recipients.length === 0 || recipients.length > 50) {
      throw badInput('recipientOrganizationIds', '提供先の機関を1〜50件指定してください。');
    }
    if (recipients.includes(ctx.orgId!)) {
      throw badInput('recipientOrganizationIds', '提供先に自機関は指定できません。');
    }
    const purposes = assertSetOf('purposes', input.purposes, CONSENT_PURPOSES, '利用目的');
    const categories = assertSetOf('categories', input.categories, DATA_CATEGORIES, '情報の区分');
    const method = assertOneOf('method', input.method, CONSENT_METHODS, '同意の方法');
    const grantedBy = assertOneOf('grantedBy', input.grantedBy ?? 'SELF', CONSENT_GRANTORS, '同意者');
    const now = Date.now();
    const grantedAt = input.grantedAt ?? new Date(now);
    if (Number.isNaN(grantedAt.getTime()) || grantedAt.getTime() > now + 5 * 60_000) {
      throw badInput('grantedAt', '同意日時に未来の日時は指定できません。');
    }
    if (grantedAt.getTime() < now - 366 * 24 * 3600_000) {
      throw badInput('grantedAt', '1年以上前の同意は記録できません。新たに同意を得てください。');
    }
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now)) {
      throw badInput('expiresAt', '有効期限には未来の日時を指定してください。');
    }
    if (expiresAt && expiresAt.getTime() - grantedAt.getTime() > MAX_VALIDITY_MS) {
      throw badInput('expiresAt', '有効期限は同意日から10年以内で指定してください。');
    }
    const evidenceRef = input.evidenceRef ? cleanLine('evidenceRef', input.evidenceRef, { max: 200 }) : null;

    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachClientCase(tx, ctx, input.clientId, 'update', { open: true });
      const known: { id: string }[] = await tx.query('SELECT id FROM organizations WHERE id = ANY ($1::uuid[])', [
        recipients.filter(isUuid),
      ]);
      if (known.length !== recipients.length) {
        throw badInput('recipientOrganizationIds', '提供先に存在しない機関が含まれています。');
      }
      const [row]: ConsentRow[] = await tx.query(
        `INSERT INTO consent_grants AS g (org_id, client_id, recipient_org_ids, purposes, categories, method,
           granted_by, granted_at, expires_at, evidence_ref, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${CONSENT_COLUMNS}`,
        [
          c.org_id,
          c.client_id,
          recipients,
          purposes,
          categories,
          method,
          grantedBy,
          grantedAt,
          expiresAt,
          evidenceRef,
          ctx.user.id,
        ],
      );
      if (row!.expires_at) {
        // Expiring within 30 days: the assignees are reminded; at expiry, the worker applies it.
        const warnAt = new Date(Math.max(Date.now(), row!.expires_at.getTime() - CONSENT_WARNING_DAYS * 86400_000));
        await scheduleReminders(tx, [
          { orgId: c.org_id, kind: 'CONSENT_EXPIRING', subjectId: row!.id, dueAt: warnAt },
          { orgId: c.org_id, kind: 'CONSENT_EXPIRED', subjectId: row!.id, dueAt: row!.expires_at },
        ]);
      }
      await appendTimeline(tx, [
        {
          orgId: c.org_id,
          clientId: c.client_id,
          caseId: c.id,
          kind: 'CONSENT_GRANTED',
          summary: `同意を記録しました (${purposes.map((p) => CONSENT_PURPOSE_LABELS[p]).join('・')})`,
          authorUserId: ctx.user.id,
          authorOrgId: c.org_id,
        },
      ]);
      await this.audit.record(tx, {
        orgId: c.org_id,
        actorUserId: ctx.user.id,
        action: 'consent.recorded',
        subjectType: 'ConsentGrant',
        subjectId: row!.id,
        fields: ['recipients', 'purposes', 'categories', 'method', 'expiresAt'],
        purpose: 'CASE_MANAGEMENT',
        requestId: ctx.requestId,
      });
      return toConsentView(row!, ctx.orgId);
    });
  }

  /**
   * Withdrawal applies at once, in this transaction: the recipients' view of the client loses the shared fields
   * (the database's masking reads the grant), referrals still waiting for an answer (SENT, RECEIVED) that relied on
   * it are cancelled with reason CONSENT_WITHDRAWN, and the timeline of every organization concerned records it.
   */
  async withdraw(ctx: RequestContext, id: string, reason: string): Promise<ConsentGrantView> {
    assertCan(ctx, 'update', 'ConsentGrant');
    const why = cleanText('reason', reason, { min: 1, max: 1000 });
    if (!isUuid(id)) throw notFound('同意');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const [grant]: ConsentRow[] = await tx.query(
        `SELECT ${CONSENT_COLUMNS} FROM consent_grants g WHERE g.id = $1 AND g.org_id = $2 FOR UPDATE`,
        [id, ctx.orgId],
      );
      if (!grant) throw notFound('同意');
      let c;
      try {
        c = await reachClientCase(tx, ctx, grant.client_id, 'update');
      } catch {
        throw notFound('同意');
      }
      if (grant.status === 'WITHDRAWN') throw invalidTransition('この同意はすでに撤回されています。');
      const [updated] = await queryRows<ConsentRow>(
        tx,
        `UPDATE consent_grants g SET withdrawn_at = now(), withdrawal_reason = $2, withdrawn_by = $3
          WHERE g.id = $1 RETURNING ${CONSENT_COLUMNS}`,
        [id, why, ctx.user.id],
      );
      const cancelled = await applyConsentEnd(tx, grant, c, { how: 'WITHDRAWN', reason: why, userId: ctx.user.id });
      await this.audit.record(tx, {
        orgId: c.org_id,
        actorUserId: ctx.user.id,
        action: 'consent.withdrawn',
        subjectType: 'ConsentGrant',
        subjectId: id,
        fields: ['withdrawnAt', 'withdrawalReason', ...(cancelled.length ? ['referrals.cancelled'] : [])],
        requestId: ctx.requestId,
      });
      return toConsentView(updated!, ctx.orgId);
    });
  }

  /** The grants of each client the caller may see: those its organization recorded, and those naming it. */
  async byClientIds(ctx: RequestContext, clientIds: readonly string[]): Promise<Map<string, ConsentGrantView[]>> {
    const ids = clientIds.filter(isUuid);
    const rows: ConsentRow[] = ids.length
      ? await this.db.run(tenantScope(ctx), (tx) =>
          tx.query(
            `SELECT ${CONSENT_COLUMNS} FROM consent_grants g
              WHERE g.client_id = ANY ($1::uuid[]) AND ${CONSENT_READABLE('$2')}
              ORDER BY g.granted_at, g.id`,
            [ids, ctx.orgId],
          ),
        )
      : [];
    const out = new Map<string, ConsentGrantView[]>(clientIds.map((id) => [id, []]));
    for (const r of rows) out.get(r.client_id)?.push(toConsentView(r, ctx.orgId));
    return out;
  }

  async byIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, ConsentGrantView>> {
    const valid = ids.filter(isUuid);
    const rows: ConsentRow[] = valid.length
      ? await this.db.run(tenantScope(ctx), (tx) =>
          tx.query(
            `SELECT ${CONSENT_COLUMNS} FROM consent_grants g WHERE g.id = ANY ($1::uuid[]) AND ${CONSENT_READABLE('$2')}`,
            [valid, ctx.orgId],
          ),
        )
      : [];
    return new Map(rows.map((r) => [r.id, toConsentView(r, ctx.orgId)]));
  }
}
