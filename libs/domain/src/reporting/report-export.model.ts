import type { DataCategory } from '../clients/client.model.js';
import type { OrganizationKind } from '../organizations/organization.model.js';
import type { AggregateTable } from './aggregate-tables.js';
import type { ChosenLevel, ExportMetadata } from './anonymize.js';

/** The contract's ExportStatus. Expiry is not a status: `expiresAt` and `expired` say it (see docs). */
export const EXPORT_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];
export const EXPORT_STATUS_LABELS: Record<ExportStatus, string> = {
  QUEUED: '受付済み',
  RUNNING: '作成中',
  SUCCEEDED: '完了',
  FAILED: '失敗',
};

/**
 * A client is in an export's cohort when the requesting organization holds, at the snapshot, an ACTIVE grant for
 * the client with the purpose STATISTICS covering these categories — the ones the export reads: IDENTITY (birth
 * date, for the age), CONTACT (prefecture), HEALTH (designated diseases, disability certificate) and EMPLOYMENT
 * (placements and separations).
 */
export const STATISTICS_CATEGORIES: readonly DataCategory[] = ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT'];

/**
 * Whose clients an export covers: OWN, the requesting organization's; OWN_AND_CONSENTED (a MUNICIPALITY), also
 * those of other organizations whose ACTIVE STATISTICS grant names it. The database decides (the statistics
 * functions of migration 1764600000000); this is what the export records of it.
 */
export const EXPORT_SCOPES = ['OWN', 'OWN_AND_CONSENTED'] as const;
export type ExportScope = (typeof EXPORT_SCOPES)[number];
export const exportScopeOf = (kind: OrganizationKind): ExportScope =>
  kind === 'MUNICIPALITY' ? 'OWN_AND_CONSENTED' : 'OWN';

/** What a finished export stores as its metadata: the core's, and the scope (absent on exports made before it). */
export interface StoredExportMetadata extends ExportMetadata {
  scope?: ExportScope;
  /** Of cohortCount: the clients of other organizations, there through a grant naming the requester. */
  consentedCohortCount?: number;
}

/** The record-level export's outcome: where the client's support stands at the snapshot. */
export const EXPORT_OUTCOMES = ['EMPLOYED', 'SEPARATED', 'IN_SUPPORT', 'CLOSED'] as const;
export type ExportOutcome = (typeof EXPORT_OUTCOMES)[number];
export const EXPORT_OUTCOME_LABELS: Record<ExportOutcome, string> = {
  EMPLOYED: '就職・在職中',
  SEPARATED: '就職後に離職',
  IN_SUPPORT: '未就職・支援中',
  CLOSED: '未就職・支援終結',
};
export const EXPORT_OUTCOME_LABEL = '支援の状況（基準日）';
/** The one date the record-level export publishes (generalized like the others: month, quarter, fiscal year). */
export const EXPORT_DATES = [{ key: 'intakeOn', label: '受付月' }] as const;

/** The export's k: default 5, at least 3 (the core's floor), at most MAX_EXPORT_K. */
export const MAX_EXPORT_K = 50;
/** The earliest date an export's period may start. */
export const EARLIEST_EXPORT_DATE = '2000-01-01';

export interface ExportInput {
  from?: string | null;
  to?: string | null;
  k?: number | null;
}

export interface ReportExportRow {
  id: string;
  org_id: string;
  requested_by: string;
  status: ExportStatus;
  from_on: string | null;
  to_on: string | null;
  k: number;
  l: number;
  requested_at: Date;
  started_at: Date | null;
  attempts: number;
  snapshot_at: Date | null;
  finished_at: Date | null;
  cohort_count: number | null;
  row_count: number | null;
  suppressed_count: number | null;
  columns: string[] | null;
  metadata: StoredExportMetadata | null;
  expires_at: Date | null;
  purged_at: Date | null;
  error: string | null;
  expired: boolean;
}

export const REPORT_EXPORT_COLUMNS = `e.id, e.org_id, e.requested_by, e.status, to_char(e.from_on, 'YYYY-MM-DD') AS from_on,
  to_char(e.to_on, 'YYYY-MM-DD') AS to_on, e.k, e.l, e.requested_at, e.started_at, e.attempts, e.snapshot_at,
  e.finished_at, e.cohort_count, e.row_count, e.suppressed_count, e.columns, e.metadata, e.expires_at, e.purged_at,
  e.error, coalesce(e.expires_at <= now(), false) AS expired`;

export interface ReportExportView {
  id: string;
  orgId: string;
  requestedBy: string;
  status: ExportStatus;
  from: string | null;
  to: string | null;
  k: number;
  l: number;
  requestedAt: Date;
  startedAt: Date | null;
  snapshotAt: Date | null;
  finishedAt: Date | null;
  cohortCount: number | null;
  scope: ExportScope | null;
  consentedCohortCount: number | null;
  rowCount: number | null;
  suppressedCount: number | null;
  columns: string[] | null;
  columnLabels: string[] | null;
  generalization: ChosenLevel[] | null;
  /** Why the suppression went past 5% (the export then stands at the most general node), in Japanese. */
  shortfall: string | null;
  expiresAt: Date | null;
  expired: boolean;
  error: string | null;
}

export function toReportExportView(r: ReportExportRow): ReportExportView {
  return {
    id: r.id,
    orgId: r.org_id,
    requestedBy: r.requested_by,
    status: r.status,
    from: r.from_on,
    to: r.to_on,
    k: r.k,
    l: r.l,
    requestedAt: r.requested_at,
    startedAt: r.started_at,
    snapshotAt: r.snapshot_at,
    finishedAt: r.finished_at,
    cohortCount: r.cohort_count,
    scope: r.metadata?.scope ?? null,
    consentedCohortCount: r.metadata?.consentedCohortCount ?? null,
    rowCount: r.row_count,
    suppressedCount: r.suppressed_count,
    columns: r.columns,
    columnLabels: r.metadata?.columns.map((c) => c.label) ?? null,
    generalization: r.metadata?.node ?? null,
    shortfall: r.metadata?.shortfall?.message ?? null,
    expiresAt: r.expires_at,
    expired: r.expired,
    error: r.error,
  };
}

/** What a finished export stores of its aggregate tables. */
export type StoredAggregates = AggregateTable[];

/** One CSV line (RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled), CRLF-terminated. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\r\n`;
}
