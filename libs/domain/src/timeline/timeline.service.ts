import { Injectable } from '@nestjs/common';
import { assertCan, badInput, Database, tenantScope, type RequestContext } from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { reachCase } from '../cases/case-access.js';
import { clientsReadForHandover } from '../handovers/handover-access.js';
import { decodeTimeCursor, pageSize, toPage, type Page } from '../shared/pagination.js';
import { assertOneOf, cleanLine, cleanText, isUuid } from '../shared/validation.js';
import {
  appendTimeline,
  TIMELINE_COLUMNS,
  toTimelineEntry,
  USER_TIMELINE_KINDS,
  type TimelineEntryView,
  type TimelineRow,
} from './timeline.model.js';

export interface AddTimelineEntryInput {
  caseId: string;
  kind: string;
  occurredAt?: Date | null;
  summary: string;
  body?: string | null;
  correctsEntryId?: string | null;
}

/** A page request of one case's timeline (the DataLoader key). */
export interface TimelinePageKey {
  caseId: string;
  first?: number | null;
  after?: string | null;
}

/** How far ahead of the server's clock a client's "occurred at" may be (clock skew), and how far back. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const EARLIEST = new Date('2000-01-01T00:00:00+09:00');

@Injectable()
export class TimelineService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /**
   * Records a consultation, a note or an intake entry on an open case. Entries are never edited: a correction is a
   * new entry (kind CORRECTION) that names the entry it corrects.
   */
  async add(ctx: RequestContext, input: AddTimelineEntryInput): Promise<TimelineEntryView> {
    assertCan(ctx, 'create', 'TimelineEntry');
    const kind = assertOneOf('kind', input.kind, USER_TIMELINE_KINDS, '記録の種類');
    const summary = cleanLine('summary', input.summary, { max: 200 });
    const body = input.body ? cleanText('body', input.body, { max: 10_000 }) : null;
    const occurredAt = input.occurredAt ?? new Date();
    if (Number.isNaN(occurredAt.getTime())) throw badInput('occurredAt', '日時の形式が正しくありません。');
    if (occurredAt.getTime() > Date.now() + FUTURE_TOLERANCE_MS || occurredAt < EARLIEST) {
      throw badInput('occurredAt', '実施日時に未来の日時や2000年より前の日時は指定できません。');
    }
    // An empty id names no entry: the same as none (it would otherwise reach the uuid column as '').
    const correctsEntryId = input.correctsEntryId || null;
    if ((kind === 'CORRECTION') !== Boolean(correctsEntryId)) {
      throw badInput('correctsEntryId', '訂正 (CORRECTION) のときだけ、訂正する記録を指定してください。');
    }
    return this.db.run(tenantScope(ctx), async (tx) => {
      const c = await reachCase(tx, ctx, input.caseId, 'update', { open: kind !== 'CORRECTION' });
      if (correctsEntryId) {
        const target: unknown[] = isUuid(correctsEntryId)
          ? await tx.query('SELECT 1 FROM timeline_entries WHERE id = $1 AND org_id = $2 AND client_id = $3', [
              correctsEntryId,
              c.org_id,
              c.client_id,
            ])
          : [];
        if (target.length === 0) throw badInput('correctsEntryId', '訂正する記録がこのケースにありません。');
      }
      const [entry] = await appendTimeline(tx, [
        {
          orgId: c.org_id,
          clientId: c.client_id,
          caseId: c.id,
          kind,
          summary,
          body,
          occurredAt,
          authorUserId: ctx.user.id,
          authorOrgId: c.org_id,
          correctsEntryId,
        },
      ]);
      await this.audit.record(tx, {
        orgId: c.org_id,
        actorUserId: ctx.user.id,
        action: 'timeline.added',
        subjectType: 'TimelineEntry',
        subjectId: entry!.id,
        fields: body ? ['summary', 'body'] : ['summary'],
        purpose: 'CASE_MANAGEMENT',
        requestId: ctx.requestId,
      });
      return entry!;
    });
  }

  /**
   * Timeline pages of several cases in one statement (for the DataLoader): a case's timeline is every entry of its
   * organization about its client, newest first, including those written before the case existed (a referral
   * received before it was accepted). The cases were reached by the caller already.
   */
  async pages(ctx: RequestContext, keys: readonly TimelinePageKey[]): Promise<Page<TimelineEntryView>[]> {
    const groups = new Map<string, TimelinePageKey[]>();
    for (const k of keys) {
      const g = `${k.first ?? ''}|${k.after ?? ''}`;
      groups.set(g, [...(groups.get(g) ?? []), k]);
    }
    const results = new Map<TimelinePageKey, Page<TimelineEntryView>>();
    await this.db.run(tenantScope(ctx), async (tx) => {
      for (const group of groups.values()) {
        const { first, after } = group[0]!;
        const limit = pageSize(first ?? 20);
        const cursor = decodeTimeCursor(after);
        const params: unknown[] = [group.map((k) => k.caseId).filter(isUuid), ctx.orgId, limit + 1];
        let keyset = '';
        if (cursor) {
          params.push(...cursor);
          keyset = 'AND (t.occurred_at, t.id) < ($4::timestamptz, $5::uuid)';
        }
        const rows: (TimelineRow & { for_case: string; total: number })[] = await tx.query(
          `SELECT c.id AS for_case, n.total, ${TIMELINE_COLUMNS}
             FROM cases c
             CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM timeline_entries x
                                  WHERE x.org_id = c.org_id AND x.client_id = c.client_id) n
             LEFT JOIN LATERAL (SELECT * FROM timeline_entries t
                                 WHERE t.org_id = c.org_id AND t.client_id = c.client_id ${keyset}
                                 ORDER BY t.occurred_at DESC, t.id DESC LIMIT $3) t ON true
            WHERE c.id = ANY ($1::uuid[]) AND c.org_id = $2`,
          params,
        );
        for (const k of group) {
          const mine = rows.filter((r) => r.for_case === k.caseId);
          const entries = mine.filter((r) => r.id !== null);
          results.set(
            k,
            toPage(entries, limit, mine[0]?.total ?? 0, toTimelineEntry, (r) => [r.occurred_key, r.id]),
          );
        }
      }
      // Timeline entries are the NOTES category: reading a case's entries is a read of personal data.
      const read = [...new Set([...results.entries()].filter(([, p]) => p.nodes.length).map(([k]) => k.caseId))];
      const clientOf = new Map(
        [...results.entries()].filter(([, p]) => p.nodes.length).map(([k, p]) => [k.caseId, p.nodes[0]!.clientId]),
      );
      const forHandover = await clientsReadForHandover(tx, ctx, [...new Set(clientOf.values())]);
      await this.audit.recordMany(
        tx,
        read.map((caseId) => ({
          orgId: ctx.orgId!,
          actorUserId: ctx.user.id,
          action: 'timeline.read',
          subjectType: 'Case',
          subjectId: caseId,
          fields: ['timeline'],
          purpose: forHandover.has(clientOf.get(caseId) ?? '') ? 'HANDOVER' : 'CASE_MANAGEMENT',
          requestId: ctx.requestId,
        })),
      );
    });
    return keys.map((k) => results.get(k) ?? toPage([], 0, 0, toTimelineEntry, () => []));
  }

  /**
   * Other organizations' timeline entries about each client that they shared with the acting organization (the
   * NOTES category of an accepted referral, under an ACTIVE grant covering NOTES: `app_notes_shared`, stated in the
   * query as well as in the RLS policy, so that either wall holds alone), newest first, at most `limit` per client. Each client whose notes were read gets an audit event.
   */
  async sharedByClientIds(
    ctx: RequestContext,
    clientIds: readonly string[],
    limit = 50,
  ): Promise<Map<string, TimelineEntryView[]>> {
    const ids = clientIds.filter(isUuid);
    const out = new Map<string, TimelineEntryView[]>(clientIds.map((id) => [id, []]));
    if (!ids.length || !ctx.orgId) return out;
    await this.db.run(tenantScope(ctx), async (tx) => {
      const rows: TimelineRow[] = await tx.query(
        `SELECT * FROM (
           SELECT ${TIMELINE_COLUMNS}, row_number() OVER (PARTITION BY t.client_id ORDER BY t.occurred_at DESC, t.id DESC) AS n
             FROM timeline_entries t
            WHERE t.client_id = ANY ($1::uuid[]) AND t.org_id <> $2 AND app_notes_shared(t.client_id, t.org_id)) x
          WHERE n <= $3 ORDER BY occurred_at DESC, id DESC`,
        [ids, ctx.orgId, limit],
      );
      for (const r of rows) out.get(r.client_id)?.push(toTimelineEntry(r));
      const read = [...new Set(rows.map((r) => r.client_id))];
      await this.audit.recordMany(
        tx,
        read.map((clientId) => ({
          orgId: ctx.orgId!,
          actorUserId: ctx.user.id,
          action: 'client.read',
          subjectType: 'Client',
          subjectId: clientId,
          fields: ['sharedNotes'],
          purpose: 'INFO_SHARING',
          requestId: ctx.requestId,
        })),
      );
    });
    return out;
  }
}
