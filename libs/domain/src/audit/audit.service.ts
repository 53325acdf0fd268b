import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Tx } from '@tasuki/platform';

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
  /** Appends one event inside the caller's tenant transaction (so it commits or rolls back with the change). */
  async record(tx: Tx, input: AuditInput): Promise<void> {
    // One writer at a time per organization's chain; released at commit.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1, 0))`, [input.orgId]);
    const last: { seq: string; hash: string }[] = await tx.query(
      'SELECT seq, hash FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1',
      [input.orgId],
    );
    const event = {
      org_id: input.orgId,
      seq: String(last.length ? Number(last[0]!.seq) + 1 : 1),
      occurred_at: new Date(),
      actor_user_id: input.actorUserId,
      action: input.action,
      subject_type: input.subjectType,
      subject_id: input.subjectId ?? null,
      fields: input.fields ?? [],
      purpose: input.purpose ?? null,
      request_id: input.requestId ?? null,
    };
    const prevHash = last[0]?.hash ?? GENESIS;
    await tx.query(
      `INSERT INTO audit_events (org_id, seq, occurred_at, actor_user_id, action, subject_type, subject_id, fields,
         purpose, request_id, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        event.org_id,
        event.seq,
        event.occurred_at,
        event.actor_user_id,
        event.action,
        event.subject_type,
        event.subject_id,
        event.fields,
        event.purpose,
        event.request_id,
        prevHash,
        eventHash(prevHash, event),
      ],
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
}
