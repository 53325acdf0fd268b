import { Inject, Injectable } from '@nestjs/common';
import { AppError, CONFIG, Database, japanDate, queryRows, type AppConfig, type Tx } from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { notify } from '../notifications/notify.js';
import type { OrganizationKind } from '../organizations/organization.model.js';
import { scheduleReminders } from '../reminders/reminder.model.js';
import { buildAggregateTables, type AggregateTable } from './aggregate-tables.js';
import {
  cryptoRandomness,
  planAnonymization,
  publishRows,
  RecordEncoder,
  type AnonymizationPlan,
  type EncodedRecords,
  type ExportRandomness,
} from './anonymize.js';
import { readAggregateInput, streamCohort, type CohortParams } from './export-queries.js';
import { DiseaseGroupTable, subjectSchema } from './generalization.js';
import {
  EXPORT_DATES,
  EXPORT_OUTCOME_LABEL,
  exportScopeOf,
  type ExportStatus,
  type StoredExportMetadata,
} from './report-export.model.js';
import { NotificationFeed } from '../notifications/notification-feed.js';

/** Published rows are inserted this many at a time. */
const ROW_BATCH = 1000;
/** The rows of an expired export are deleted this long after it expires, so a download begun in time can finish. */
export const PURGE_GRACE_MS = 3600_000;
/** What the export reads of each client (recorded once per export in the audit log, with the purpose). */
const FIELDS_READ = [
  'birthDate',
  'prefectureCode',
  'designatedDiseaseNumbers',
  'disabilityCertificate',
  'case.openedAt',
  'case.status',
  'placements',
  'referrals',
];
const INTERNAL_FAILURE = '内部エラーのため作成できませんでした。時間をおいて再度依頼してください。';

export interface ExportJobOptions {
  /** The job's last attempt: an unexpected error then marks the export FAILED instead of waiting for a retry. */
  finalAttempt?: boolean;
  /** Tests seed the row order and tokens; production draws them from the CSPRNG. */
  random?: ExportRandomness;
}

/**
 * The anonymized export job (the worker's `reports` queue; the job's data is the export's id and organization).
 *
 * 1. A short transaction marks the export RUNNING (a finished one is left alone: the job is idempotent).
 * 2. One REPEATABLE READ transaction acting for the organization takes the snapshot, waits for any other run of the
 *    same export to finish reading (advisory lock), streams the cohort through a cursor into the encoder, searches
 *    the lattice and builds the aggregate tables from the same snapshot.
 * 3. One READ COMMITTED transaction holding the export's row writes the published rows in batches, marks the export
 *    SUCCEEDED with its metadata and expiry, schedules the purge, audits the read and tells the requester. All or
 *    nothing: a crash leaves no half-written rows, and a second run finds the export done. (The writes are not in
 *    the snapshot's transaction: the audit chain must extend its newest event, which an old snapshot may not see.)
 */
/**
 * The job acts for the export's organization, as the worker's other jobs do (`app.system` lets it read the
 * organization's directory entry without a signed-in user; it widens nothing about clients).
 */
const actingFor = (orgId: string) => ({ orgId, userId: null, system: true });

/** What the read transaction hands to the write: the request, the encoded cohort, its plan and the tables. */
interface ExportRead {
  request: {
    requested_by: string;
    from_on: string | null;
    to_on: string | null;
    k: number;
    l: number;
    org_kind: OrganizationKind;
    snapshot_at: Date;
  };
  encoded: EncodedRecords;
  plan: AnonymizationPlan;
  /** Of the cohort: the clients of other organizations, there through a grant naming the requester. */
  viaConsent: number;
  aggregates: AggregateTable[];
}

@Injectable()
export class ReportExportJob {
  constructor(
    private readonly db: Database,
    private readonly feed: NotificationFeed,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async run(exportId: string, orgId: string, opts: ExportJobOptions = {}): Promise<string> {
    const [started] = await this.db.run(actingFor(orgId), (tx) =>
      queryRows<{ id: string }>(
        tx,
        `UPDATE report_exports SET status = 'RUNNING', started_at = now(), attempts = attempts + 1, error = NULL
          WHERE id = $1 AND org_id = $2 AND status IN ('QUEUED','RUNNING') RETURNING id`,
        [exportId, orgId],
      ),
    );
    if (!started) return 'not pending';
    try {
      const read = await this.db.run(actingFor(orgId), (tx) => this.read(tx, exportId, orgId), 'REPEATABLE READ');
      if (!read) return 'not running';
      return await this.feed.run(actingFor(orgId), (tx) => this.write(tx, exportId, orgId, read, opts));
    } catch (err) {
      // A refused record (a data error) will be refused again: fail now. Anything else is retried by BullMQ.
      if (err instanceof AppError) return this.fail(exportId, orgId, `作成できませんでした: ${err.message}`);
      if (opts.finalAttempt) await this.fail(exportId, orgId, INTERNAL_FAILURE);
      throw err;
    }
  }

  /**
   * Everything the export reads, in one REPEATABLE READ transaction: its snapshot is taken by the transaction's
   * first statement, before anything else, so every table read describes the same instant. Runs of one export read
   * one at a time (a redelivered job waits for the running one). Returns null when the export is no longer running.
   */
  private async read(tx: Tx, exportId: string, orgId: string): Promise<ExportRead | null> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('report-export:' || $1, 0))`, [exportId]);
    const [e]: (ExportRead['request'] & { status: ExportStatus })[] = await tx.query(
      `SELECT e.status, e.requested_by, to_char(e.from_on, 'YYYY-MM-DD') AS from_on,
              to_char(e.to_on, 'YYYY-MM-DD') AS to_on, e.k, e.l, o.kind AS org_kind, now() AS snapshot_at
         FROM report_exports e JOIN organizations o ON o.id = e.org_id
        WHERE e.id = $1 AND e.org_id = $2`,
      [exportId, orgId],
    );
    if (!e || e.status !== 'RUNNING') return null;
    const snapshotDate = japanDate(e.snapshot_at);
    // The statistics functions read the grants at now(): the transaction's start, which is snapshot_at.
    const params: CohortParams = { snapshotDate, from: e.from_on, to: e.to_on };
    const diseases: { number: number; groups: string[] }[] = await tx.query(
      'SELECT number, groups FROM designated_diseases',
    );
    const schema = subjectSchema({
      snapshotDate,
      diseaseGroups: new DiseaseGroupTable(diseases),
      dates: EXPORT_DATES,
      outcomeLabel: EXPORT_OUTCOME_LABEL,
    });
    const encoder = new RecordEncoder(schema);
    const { viaConsent } = await streamCohort(tx, params, (s) => encoder.add(s));
    const encoded = encoder.finish();
    return {
      request: e,
      encoded,
      plan: planAnonymization(encoded, { k: e.k, l: e.l }),
      viaConsent,
      aggregates: buildAggregateTables(await readAggregateInput(tx, params)),
    };
  }

  /**
   * Writes what was read, in one READ COMMITTED transaction holding the export's row: the published rows in batches,
   * the export SUCCEEDED with its metadata and expiry, the purge's reminder, the audit event and the requester's
   * notification. Another run that finished first leaves the export SUCCEEDED, and this one writes nothing.
   */
  private async write(tx: Tx, exportId: string, orgId: string, read: ExportRead, opts: ExportJobOptions) {
    const [locked] = await queryRows<{ status: ExportStatus }>(
      tx,
      'SELECT status FROM report_exports WHERE id = $1 AND org_id = $2 FOR UPDATE',
      [exportId, orgId],
    );
    if (locked?.status !== 'RUNNING') return 'not running';
    const { request: e, encoded, plan, aggregates, viaConsent } = read;
    const columns = plan.metadata.columns.map((c) => c.name);
    let batch: string[][] = [];
    let written = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await insertRows(tx, exportId, orgId, written, columns.length, batch);
      written += batch.length;
      batch = [];
    };
    for (const row of publishRows(encoded, plan, opts.random ?? cryptoRandomness)) {
      batch.push(columns.map((c) => row[c]!));
      if (batch.length === ROW_BATCH) await flush();
    }
    await flush();

    const m = plan.metadata;
    const metadata: StoredExportMetadata = { ...m, scope: exportScopeOf(e.org_kind), consentedCohortCount: viaConsent };
    const finishedAt = new Date();
    const expiresAt = new Date(finishedAt.getTime() + this.config.reporting.exportTtlHours * 3600_000);
    await tx.query(
      `UPDATE report_exports SET status = 'SUCCEEDED', snapshot_at = $3, finished_at = $4, cohort_count = $5,
              row_count = $6, suppressed_count = $7, columns = $8, metadata = $9, aggregates = $10, expires_at = $11
        WHERE id = $1 AND org_id = $2`,
      [
        exportId,
        orgId,
        e.snapshot_at,
        finishedAt,
        m.cohortCount,
        m.rowCount,
        m.suppressedCount,
        columns,
        JSON.stringify(metadata),
        JSON.stringify(aggregates),
        expiresAt,
      ],
    );
    await scheduleReminders(tx, [
      { orgId, kind: 'EXPORT_EXPIRED', subjectId: exportId, dueAt: new Date(expiresAt.getTime() + PURGE_GRACE_MS) },
    ]);
    await this.audit.record(tx, {
      orgId,
      actorUserId: e.requested_by,
      action: 'reportExport.generated',
      subjectType: 'ReportExport',
      subjectId: exportId,
      fields: FIELDS_READ,
      purpose: 'STATISTICS',
    });
    await tellRequester(
      tx,
      { orgId, exportId, requestedBy: e.requested_by },
      'REPORT_EXPORT_READY',
      `匿名加工データの作成が完了しました（${m.rowCount}行）。${japanDate(expiresAt)}までダウンロードできます。`,
    );
    return `succeeded: ${m.rowCount} rows of ${m.cohortCount}`;
  }

  /** Marks a pending export FAILED with a message for the analyst, and tells the requester. */
  private async fail(exportId: string, orgId: string, message: string): Promise<string> {
    await this.feed.run(actingFor(orgId), async (tx) => {
      const [e] = await queryRows<{ requested_by: string }>(
        tx,
        `UPDATE report_exports SET status = 'FAILED', finished_at = clock_timestamp(), error = left($3, 1000)
          WHERE id = $1 AND org_id = $2 AND status IN ('QUEUED','RUNNING') RETURNING requested_by`,
        [exportId, orgId, message],
      );
      if (!e) return;
      await tellRequester(
        tx,
        { orgId, exportId, requestedBy: e.requested_by },
        'REPORT_EXPORT_FAILED',
        '匿名加工データを作成できませんでした。詳細はエクスポートの記録を確認してください。',
      );
    });
    return 'failed';
  }

  /**
   * Exports still QUEUED or RUNNING and untouched for `olderThanMs`, across organizations (the worker's sweep): their
   * job may have been lost with Redis. `enqueue` adds the job again under the same id, which BullMQ ignores while
   * the job still exists.
   */
  async findStale(olderThanMs: number): Promise<{ id: string; orgId: string }[]> {
    return this.db.run({ orgId: null, userId: null, system: true }, async (tx) => {
      const rows: { id: string; org_id: string }[] = await tx.query(
        `SELECT id, org_id FROM report_exports
          WHERE status IN ('QUEUED','RUNNING') AND updated_at < now() - make_interval(secs => $1) LIMIT 1000`,
        [olderThanMs / 1000],
      );
      return rows.map((r) => ({ id: r.id, orgId: r.org_id }));
    });
  }
}

/** The requester hears once how the export ended (one notification per export, whichever way it ended). */
function tellRequester(
  tx: Tx,
  e: { orgId: string; exportId: string; requestedBy: string },
  kind: 'REPORT_EXPORT_READY' | 'REPORT_EXPORT_FAILED',
  message: string,
) {
  return notify(tx, {
    orgId: e.orgId,
    userIds: [e.requestedBy],
    kind,
    subjectType: 'ReportExport',
    subjectId: e.exportId,
    message,
    dedupeKey: `report-export-${e.exportId}`,
  });
}

/** Inserts a batch of published rows, numbered from `after` + 1 in their shuffled order. */
async function insertRows(tx: Tx, exportId: string, orgId: string, after: number, width: number, rows: string[][]) {
  const names = Array.from({ length: width }, (_, i) => `c${i}`);
  await tx.query(
    `INSERT INTO report_export_rows (export_id, org_id, seq, cells)
     SELECT $1, $2, $3 + t.ord, ARRAY[${names.map((n) => `t.${n}`).join(', ')}]
       FROM unnest(${names.map((_, i) => `$${i + 4}::text[]`).join(', ')}) WITH ORDINALITY AS t(${names.join(', ')}, ord)`,
    [exportId, orgId, after, ...names.map((_, i) => rows.map((r) => r[i]!))],
  );
}

/**
 * The purge of an expired export (the EXPORT_EXPIRED reminder, in its transaction acting for the organization): its
 * rows are deleted (RLS allows it only once the export has expired) and its aggregate tables cleared; the record of
 * the export — what was asked, when, the counts and the generalization — stays.
 */
export async function purgeExpiredExport(tx: Tx, orgId: string, exportId: string): Promise<string> {
  const [e] = await queryRows<{ id: string }>(
    tx,
    `SELECT id FROM report_exports WHERE id = $1 AND org_id = $2 AND expires_at <= now() AND purged_at IS NULL
       FOR UPDATE`,
    [exportId, orgId],
  );
  if (!e) return 'nothing to purge';
  const [deleted] = await queryRows<{ n: number }>(
    tx,
    `WITH d AS (DELETE FROM report_export_rows WHERE export_id = $1 AND org_id = $2 RETURNING 1)
     SELECT count(*)::int AS n FROM d`,
    [exportId, orgId],
  );
  await tx.query(`UPDATE report_exports SET purged_at = now(), aggregates = NULL WHERE id = $1 AND org_id = $2`, [
    exportId,
    orgId,
  ]);
  return `purged ${deleted!.n} rows`;
}
