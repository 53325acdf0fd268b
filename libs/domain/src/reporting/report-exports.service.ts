import { Injectable } from '@nestjs/common';
import {
  assertCan,
  badInput,
  conflict,
  Database,
  japanDate,
  notFound,
  queryRows,
  tenantScope,
  type RequestContext,
  type Tx,
} from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { writeOutbox } from '../outbox/outbox.js';
import { assertDateBetween, assertIntBetween, isUuid } from '../shared/validation.js';
import type { AggregateTable } from './aggregate-tables.js';
import { DEFAULT_K, DEFAULT_L, MIN_K } from './anonymize.js';
import {
  csvLine,
  EARLIEST_EXPORT_DATE,
  MAX_EXPORT_K,
  REPORT_EXPORT_COLUMNS,
  toReportExportView,
  type ExportInput,
  type ReportExportRow,
  type ReportExportView,
} from './report-export.model.js';

/** Rows read per statement when a CSV is assembled or streamed. */
const READ_BATCH = 5000;
const WHAT = '匿名加工データ';

/** What a download finds: the CSV's (or JSON's) lines, or why there is none. */
export type ExportDownload =
  | { state: 'ready'; export: ReportExportView; lines: AsyncGenerator<string> }
  | { state: 'expired' }
  | { state: 'not-ready'; status: ReportExportView['status'] };

/**
 * The API's side of anonymized reporting: an ANALYST requests an export (written with its outbox row in one
 * transaction; the worker's job makes it) and reads the organization's exports. Every download of the CSV or the
 * aggregate tables is an audit event. Another organization's export, or a missing one, is NOT_FOUND.
 */
@Injectable()
export class ReportExportsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async request(ctx: RequestContext, input?: ExportInput | null): Promise<ReportExportView> {
    assertCan(ctx, 'export', 'ReportExport');
    const today = japanDate();
    const from = input?.from ? assertDateBetween('from', input.from, EARLIEST_EXPORT_DATE, today, '開始日') : null;
    const to = input?.to ? assertDateBetween('to', input.to, EARLIEST_EXPORT_DATE, today, '終了日') : null;
    if (from && to && from > to) throw badInput('to', '終了日は開始日以降の日付を指定してください。');
    const k = assertIntBetween('k', input?.k ?? DEFAULT_K, MIN_K, MAX_EXPORT_K);
    const orgId = ctx.orgId!;
    return this.db.run(tenantScope(ctx), async (tx) => {
      const [row] = await queryRows<{ id: string }>(
        tx,
        `INSERT INTO report_exports (org_id, requested_by, from_on, to_on, k, l) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id) WHERE status IN ('QUEUED','RUNNING') DO NOTHING RETURNING id`,
        [orgId, ctx.user.id, from, to, k, Math.min(DEFAULT_L, k)],
      );
      if (!row) {
        throw conflict('この機関の匿名加工データを作成中です。完了してから、もう一度依頼してください。');
      }
      await writeOutbox(tx, [{ orgId, kind: 'report.export', payload: { exportId: row.id } }]);
      await this.audit.record(tx, {
        orgId,
        actorUserId: ctx.user.id,
        action: 'reportExport.requested',
        subjectType: 'ReportExport',
        subjectId: row.id,
        fields: ['from', 'to', 'k'],
        purpose: 'STATISTICS',
        requestId: ctx.requestId,
      });
      return toReportExportView(await this.find(tx, ctx, row.id));
    });
  }

  async get(ctx: RequestContext, id: string): Promise<ReportExportView> {
    assertCan(ctx, 'read', 'ReportExport');
    return this.db.run(tenantScope(ctx), async (tx) => toReportExportView(await this.find(tx, ctx, id)));
  }

  /** The CSV as one string (the GraphQL field), or null before it is made or after it expired. Audited. */
  async csv(ctx: RequestContext, id: string): Promise<string | null> {
    const download = await this.download(ctx, id);
    if (download.state !== 'ready') return null;
    let text = '';
    for await (const line of download.lines) text += line;
    return text;
  }

  /**
   * Opens the CSV for streaming (GET /exports/:id.csv): when it is ready, records the download in the audit log and
   * returns its lines — the header of column names, then the rows in their published order — read in batches, each
   * in its own short transaction, so a slow reader holds no connection.
   */
  async download(ctx: RequestContext, id: string, format: 'csv' | 'json' = 'csv'): Promise<ExportDownload> {
    assertCan(ctx, 'read', 'ReportExport');
    const found = await this.db.run(tenantScope(ctx), async (tx) => {
      const view = toReportExportView(await this.find(tx, ctx, id));
      if (view.status !== 'SUCCEEDED') return { state: 'not-ready' as const, status: view.status };
      if (view.expired) return { state: 'expired' as const };
      await this.recordDownload(tx, ctx, id, format);
      return { state: 'ready' as const, view };
    });
    if (found.state !== 'ready') return found;
    const lines = format === 'csv' ? this.csvLines(ctx, found.view) : this.jsonLines(ctx, found.view);
    return { state: 'ready', export: found.view, lines };
  }

  private async *csvLines(ctx: RequestContext, e: ReportExportView): AsyncGenerator<string> {
    yield csvLine(e.columns ?? []);
    for await (const cells of this.rowCells(ctx, e)) yield csvLine(cells);
  }

  /**
   * The same rows as JSON (GET /exports/:id.json): `{"columns": [...], "rows": [{column: value, ...}, ...]}`, one
   * row per line, streamed like the CSV.
   */
  private async *jsonLines(ctx: RequestContext, e: ReportExportView): AsyncGenerator<string> {
    const columns = e.columns ?? [];
    yield `{"columns":${JSON.stringify(columns)},"rows":[`;
    let first = true;
    for await (const cells of this.rowCells(ctx, e)) {
      const row = Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? null]));
      yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
      first = false;
    }
    yield '\n]}\n';
  }

  /** The published rows' cells in their order, read in batches, each in its own short transaction. */
  private async *rowCells(ctx: RequestContext, e: ReportExportView): AsyncGenerator<string[]> {
    for (let after = 0; ;) {
      const rows = await this.db.run(tenantScope(ctx), async (tx) => {
        const found: { seq: number; cells: string[] }[] = await tx.query(
          `SELECT seq, cells FROM report_export_rows WHERE export_id = $1 AND org_id = $2 AND seq > $3
            ORDER BY seq LIMIT $4`,
          [e.id, ctx.orgId, after, READ_BATCH],
        );
        return found;
      });
      for (const r of rows) yield r.cells;
      if (rows.length < READ_BATCH) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /** The aggregate tables (JSON), or null before they are made or after the export expired. Audited. */
  async aggregates(ctx: RequestContext, id: string): Promise<AggregateTable[] | null> {
    assertCan(ctx, 'read', 'ReportExport');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const e = await this.find(tx, ctx, id);
      if (e.status !== 'SUCCEEDED' || e.expired) return null;
      const [row]: { aggregates: AggregateTable[] | null }[] = await tx.query(
        'SELECT aggregates FROM report_exports WHERE id = $1 AND org_id = $2',
        [id, ctx.orgId],
      );
      if (!row?.aggregates) return null;
      await this.recordDownload(tx, ctx, id, 'aggregates');
      return row.aggregates;
    });
  }

  private recordDownload(tx: Tx, ctx: RequestContext, id: string, field: 'csv' | 'json' | 'aggregates') {
    return this.audit.record(tx, {
      orgId: ctx.orgId!,
      actorUserId: ctx.user.id,
      action: 'reportExport.downloaded',
      subjectType: 'ReportExport',
      subjectId: id,
      fields: [field],
      purpose: 'STATISTICS',
      requestId: ctx.requestId,
    });
  }

  /** The acting organization's export, or NOT_FOUND — the same answer for another organization's and a missing one. */
  private async find(tx: Tx, ctx: RequestContext, id: string): Promise<ReportExportRow> {
    if (!isUuid(id)) throw notFound(WHAT);
    const [row]: ReportExportRow[] = await tx.query(
      `SELECT ${REPORT_EXPORT_COLUMNS} FROM report_exports e WHERE e.id = $1 AND e.org_id = $2`,
      [id, ctx.orgId],
    );
    if (!row) throw notFound(WHAT);
    assertCan(ctx, 'read', 'ReportExport', { orgId: row.org_id });
    return row;
  }
}
