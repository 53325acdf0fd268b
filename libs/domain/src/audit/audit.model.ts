/**
 * One audit event as the organization's admin reads it. The chain's links (`prev_hash`) and the organization id stay
 * inside: the reader acts for that organization, and its own hash is enough to compare with a copy kept elsewhere.
 */
export interface AuditEventView {
  seq: number;
  occurredAt: Date;
  actorUserId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  fields: string[];
  purpose: string | null;
  requestId: string | null;
  hash: string;
}

/** Every condition is optional and they combine with AND; `occurredFrom` is inclusive, `occurredTo` exclusive. */
export interface AuditEventFilter {
  action?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  actorUserId?: string | null;
  occurredFrom?: Date | null;
  occurredTo?: Date | null;
}

/** The result of walking an organization's chain: `length` events, the first broken one at `brokenAt` (or null). */
export interface AuditChainStatus {
  ok: boolean;
  length: number;
  brokenAt: number | null;
}
