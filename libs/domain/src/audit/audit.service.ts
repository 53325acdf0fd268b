import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { assertCan, badInput, Database, tenantScope, type RequestContext, type Tx } from '@tasuki/platform';
import { decodeCursor, pageSize, toPage, type Page } from '../shared/pagination.js';
import { SqlConditions } from '../shared/sql-conditions.js';
import { cleanLine, isUuid } from '../shared/validation.js';
import type { AuditChainStatus, AuditEventFilter, AuditEventView } from './audit.model.js';

export interface AuditInput {
  orgId: string;
  actorUserId: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  fields?: string[];
  purpose?: string | null;
  requestId?: string | null;
}

interface AuditRow {
  org_id: string;
  seq: string;
  occurred_at: Date;
  actor_user_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  fields: string[];
  purpose: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

function eventHash(prevHash: string, e: Omit<AuditRow, 'hash' | 'prev_hash'>): string {
  const canonical = JSON.stringify([
    e.org_id,
    String(e.seq),
    new Date(e.occurred_at).toISOString(),
    e.actor_user_id,
    e.action,
    e.subject_type,
    e.subject_id,
    e.fields,
    e.purpose,
    e.request_id,
  ]);
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/**
 * The audit log: append-only (the application role has no UPDATE or DELETE on it) and hash-chained per organization,
 * so an edit, a deletion or a gap made behind the service's back is detected by `verifyChain`.
 */
@Injectable()
export class AuditService {
  constructor(private readonly db: Database) {}

  /** Appends one event inside the caller's tenant transaction (so it commits or rolls back with the change). */
  async record(tx: Tx, input: AuditInput): Promise<void> {
    await this.recordMany(tx, [input]);
  }

  /**
   * The audit of what a request read. In a query request's shared transaction (RequestTransaction) the events are
   * appended once for the whole request, just before it commits and before the response leaves: the chain's lock
   * is held for that one append only, not for the rest of the request. Otherwise they are appended now, in `tx`.
   */
  async recordReads(ctx: RequestContext, tx: Tx, events: readonly AuditInput[]): Promise<void> {
    if (!ctx.transaction) return this.recordMany(tx, events);
    for (const event of events) ctx.transaction.defer('audit', event, (t, all) => this.recordMany(t, all));
  }

  /**
   * Appends several events (e.g. one per client read by a list) with one lock, one read of the chain's head and one
   * INSERT. Events may belong to different organizations' chains; each chain is extended in order.
   */
  async recordMany(tx: Tx, inputs: readonly AuditInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const orgIds = [...new Set(inputs.map((i) => i.orgId))].sort();
    // One writer at a time per organization's chain; released at commit. Sorted, so two writers never deadlock.
    await tx.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('audit:' || o, 0)) FROM unnest($1::uuid[]) AS o ORDER BY o`,
      [orgIds],
    );
    const heads: { org_id: string; seq: string; hash: string }[] = await tx.query(
      `SELECT h.org_id, h.seq, h.hash FROM unnest($1::uuid[]) AS o
         CROSS JOIN LATERAL (SELECT org_id, seq, hash FROM audit_events WHERE org_id = o ORDER BY seq DESC LIMIT 1) h`,
      [orgIds],
    );
    const head = new Map(heads.map((h) => [h.org_id, { seq: Number(h.seq), hash: h.hash }]));
    const occurredAt = new Date();
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], [], [], []];
    for (const input of inputs) {
      const prev = head.get(input.orgId) ?? { seq: 0, hash: GENESIS };
      const event = {
        org_id: input.orgId,
        seq: String(prev.seq + 1),
        occurred_at: occurredAt,
        actor_user_id: input.actorUserId,
        action: input.action,
        subject_type: input.subjectType,
        subject_id: input.subjectId ?? null,
        fields: input.fields ?? [],
        purpose: input.purpose ?? null,
        request_id: input.requestId ?? null,
      };
      const hash = eventHash(prev.hash, event);
      head.set(input.orgId, { seq: prev.seq + 1, hash });
      const values = [
        event.org_id,
        event.seq,
        event.occurred_at,
        event.actor_user_id,
        event.action,
        event.subject_type,
        event.subject_id,
        // text[][] cannot be ragged: fields travel as JSON and are unpacked in SQL.
        JSON.stringify(event.fields),
        event.purpose,
        event.request_id,
        prev.hash,
        hash,
      ];
      values.forEach((v, i) => columns[i]!.push(v));
    }
    await tx.query(
      `INSERT INTO audit_events (org_id, seq, occurred_at, actor_user_id, action, subject_type, subject_id, fields,
         purpose, request_id, prev_hash, hash)
       SELECT o, s, t, a, act, st, sid, ARRAY(SELECT jsonb_array_elements_text(f::jsonb)), p, r, ph, h
         FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS x(o, s, t, a, act, st, sid, f, p, r, ph, h)
         ORDER BY o, s`,
      columns,
    );
  }

  /** Walks an organization's chain; returns the first broken sequence number, or null when it verifies. */
  async verifyChain(tx: Tx, orgId: string): Promise<{ ok: true; length: number } | { ok: false; brokenAt: number }> {
    const rows: AuditRow[] = await tx.query('SELECT * FROM audit_events WHERE org_id = $1 ORDER BY seq', [orgId]);
    let prev = GENESIS;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (Number(row.seq) !== i + 1 || row.prev_hash !== prev || eventHash(prev, row) !== row.hash) {
        return { ok: false, brokenAt: i + 1 };
      }
      prev = row.hash;
    }
    return { ok: true, length: rows.length };
  }

  /** ORG_ADMIN: the acting organization's events, newest first, keyset-paginated by seq. */
  async list(
    ctx: RequestContext,
    filter: AuditEventFilter | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<AuditEventView>> {
    assertCan(ctx, 'read', 'AuditEvent', { orgId: ctx.orgId });
    const limit = pageSize(first);
    const cursor = decodeCursor(after, 1);
    // bigint as text: a cursor that is not a sequence number must be refused here, not fail the cast in SQL.
    if (cursor && !/^[1-9][0-9]{0,17}$/.test(String(cursor[0]))) {
      throw badInput('after', 'カーソルの形式が正しくありません。');
    }
    // Scoped in SQL as well as by RLS: the query names the one chain it reads.
    const filters = new SqlConditions().add((p) => `org_id = ${p}`, ctx.orgId);
    if (filter?.action) filters.add((p) => `action = ${p}`, cleanLine('filter.action', filter.action, { max: 100 }));
    if (filter?.subjectType) {
      filters.add((p) => `subject_type = ${p}`, cleanLine('filter.subjectType', filter.subjectType, { max: 100 }));
    }
    if (filter?.subjectId) {
      filters.add((p) => `subject_id = ${p}`, cleanLine('filter.subjectId', filter.subjectId, { max: 200 }));
    }
    if (filter?.actorUserId) {
      if (!isUuid(filter.actorUserId)) throw badInput('filter.actorUserId', 'ユーザーIDの形式が正しくありません。');
      filters.add((p) => `actor_user_id = ${p}`, filter.actorUserId);
    }
    const from = filter?.occurredFrom ?? null;
    const to = filter?.occurredTo ?? null;
    if (from && to && from > to) {
      throw badInput('filter.occurredTo', 'occurredTo には occurredFrom 以降の日時を指定してください。');
    }
    if (from) filters.add((p) => `occurred_at >= ${p}`, from);
    if (to) filters.add((p) => `occurred_at < ${p}`, to);
    const page = filters.copy();
    if (cursor) page.add((p) => `seq < ${p}::bigint`, String(cursor[0]));
    const pageSql = `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events ${page.sql}
      ORDER BY seq DESC LIMIT ${page.param(limit + 1)}`;
    return this.db.run(tenantScope(ctx), async (tx) => {
      const rows: AuditEventRow[] = await tx.query(pageSql, page.params);
      const [{ count }]: { count: number }[] = await tx.query(
        `SELECT count(*)::int AS count FROM audit_events ${filters.sql}`,
        filters.params,
      );
      return toPage(rows, limit, count, toAuditEventView, (r) => [r.seq]);
    });
  }

  /** ORG_ADMIN: verifies the acting organization's chain (`length` counts its events even when it is broken). */
  async chainStatus(ctx: RequestContext): Promise<AuditChainStatus> {
    assertCan(ctx, 'read', 'AuditEvent', { orgId: ctx.orgId });
    const orgId = ctx.orgId!;
    // One snapshot for the walk and the count, so a concurrent append cannot make them disagree.
    return this.db.run(
      tenantScope(ctx),
      async (tx) => {
        const result = await this.verifyChain(tx, orgId);
        if (result.ok) return { ok: true, length: result.length, brokenAt: null };
        const [{ count }]: { count: number }[] = await tx.query(
          'SELECT count(*)::int AS count FROM audit_events WHERE org_id = $1',
          [orgId],
        );
        return { ok: false, length: count, brokenAt: result.brokenAt };
      },
      'REPEATABLE READ',
    );
  }
}

type AuditEventRow = Omit<AuditRow, 'org_id' | 'prev_hash'>;
const AUDIT_EVENT_COLUMNS =
  'seq, occurred_at, actor_user_id, action, subject_type, subject_id, fields, purpose, request_id, hash';

function toAuditEventView(r: AuditEventRow): AuditEventView {
  return {
    seq: Number(r.seq),
    occurredAt: r.occurred_at,
    actorUserId: r.actor_user_id,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    fields: r.fields,
    purpose: r.purpose,
    requestId: r.request_id,
    hash: r.hash,
  };
}
