import type { MigrationInterface, QueryRunner } from 'typeorm';

const REMINDER_KINDS = `'REFERRAL_UNANSWERED','REFERRAL_UNANSWERED_SENDER','CONSENT_EXPIRING','CONSENT_EXPIRED',
  'FOLLOW_UP_DUE','FOLLOW_UP_MISSED','HANDOVER_NOT_SUBMITTED','HANDOVER_NOT_ACKNOWLEDGED','HANDOVER_MOVE',
  'TERMS_ENDING','STALE_CASES'`;

/**
 * Anonymized reporting (PRODUCT.md §3): `report_exports`, one per request of an organization's analyst, with what
 * the job recorded (the snapshot, the counts, the chosen generalization, the aggregate tables), and
 * `report_export_rows`, the published rows of the record-level export in their shuffled order. Neither holds an id
 * of a client or anything about one person: the rows are generalized values and a random token.
 *
 * `statistics_subjects` is the narrow view of the organization's own clients that the export job reads.
 *
 * Both tables belong to the requesting organization (RLS). Rows are written only while their export is RUNNING and deleted
 * only once it has expired (the purge). A trigger keeps the export's state machine.
 */
export class Reporting1764500000000 implements MigrationInterface {
  name = 'Reporting1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_exports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        requested_by uuid NOT NULL REFERENCES users (id),
        status text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED','RUNNING','SUCCEEDED','FAILED')),
        from_on date,
        to_on date,
        k integer NOT NULL CHECK (k BETWEEN 3 AND 100),
        l integer NOT NULL CHECK (l >= 2 AND l <= k),
        requested_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        snapshot_at timestamptz,
        finished_at timestamptz,
        cohort_count integer,
        row_count integer,
        suppressed_count integer,
        columns text[],
        metadata jsonb CHECK (jsonb_typeof(metadata) = 'object'),
        aggregates jsonb CHECK (jsonb_typeof(aggregates) = 'array'),
        expires_at timestamptz,
        purged_at timestamptz,
        error text CHECK (char_length(error) <= 1000),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (id, org_id),
        CHECK (from_on <= to_on),
        CHECK ((status = 'SUCCEEDED') = (expires_at IS NOT NULL)),
        CHECK ((status IN ('SUCCEEDED','FAILED')) = (finished_at IS NOT NULL)),
        CHECK (purged_at IS NULL OR status = 'SUCCEEDED')
      )`);
    await q.query(`CREATE INDEX report_exports_org_idx ON report_exports (org_id, requested_at DESC, id DESC)`);
    // One export waiting or running per organization: each reads the whole cohort.
    await q.query(`CREATE UNIQUE INDEX report_exports_pending_uq ON report_exports (org_id)
      WHERE status IN ('QUEUED','RUNNING')`);
    await q.query(`CREATE INDEX report_exports_stale_idx ON report_exports (updated_at)
      WHERE status IN ('QUEUED','RUNNING')`);

    await q.query(`
      CREATE FUNCTION report_exports_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.id, NEW.org_id, NEW.requested_by, NEW.from_on, NEW.to_on, NEW.k, NEW.l, NEW.requested_at)
           IS DISTINCT FROM
           (OLD.id, OLD.org_id, OLD.requested_by, OLD.from_on, OLD.to_on, OLD.k, OLD.l, OLD.requested_at) THEN
          RAISE EXCEPTION 'an export keeps what was requested' USING ERRCODE = 'check_violation';
        END IF;
        IF NOT ((OLD.status = 'QUEUED' AND NEW.status IN ('RUNNING','FAILED'))
             OR (OLD.status = 'RUNNING' AND NEW.status IN ('RUNNING','SUCCEEDED','FAILED'))
             OR (OLD.status = 'SUCCEEDED' AND NEW.status = 'SUCCEEDED')) THEN
          RAISE EXCEPTION 'export transition % -> % is not allowed', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
        END IF;
        -- A finished export changes only by its purge: the aggregate tables go, the record stays.
        IF OLD.status = 'SUCCEEDED' AND (
             (NEW.snapshot_at, NEW.finished_at, NEW.cohort_count, NEW.row_count, NEW.suppressed_count, NEW.columns,
              NEW.metadata, NEW.expires_at, NEW.error, NEW.attempts, NEW.started_at)
             IS DISTINCT FROM
             (OLD.snapshot_at, OLD.finished_at, OLD.cohort_count, OLD.row_count, OLD.suppressed_count, OLD.columns,
              OLD.metadata, OLD.expires_at, OLD.error, OLD.attempts, OLD.started_at)
             OR (NEW.aggregates IS NOT NULL AND NEW.aggregates IS DISTINCT FROM OLD.aggregates)
             OR (OLD.purged_at IS NOT NULL AND NEW.purged_at IS DISTINCT FROM OLD.purged_at)) THEN
          RAISE EXCEPTION 'a finished export is not rewritten' USING ERRCODE = 'check_violation';
        END IF;
        NEW.updated_at := now();
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER report_exports_guard BEFORE UPDATE ON report_exports
      FOR EACH ROW EXECUTE FUNCTION report_exports_guard()`);

    await q.query(`
      CREATE TABLE report_export_rows (
        export_id uuid NOT NULL,
        org_id uuid NOT NULL,
        seq integer NOT NULL CHECK (seq >= 1),
        cells text[] NOT NULL CHECK (cardinality(cells) BETWEEN 1 AND 50),
        PRIMARY KEY (export_id, seq),
        FOREIGN KEY (export_id, org_id) REFERENCES report_exports (id, org_id)
      )`);

    for (const t of ['report_exports', 'report_export_rows']) {
      await q.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
    }
    // The organization's own; the worker's sweep finds exports whose job may have been lost (ids and states).
    await q.query(`CREATE POLICY report_exports_read ON report_exports FOR SELECT
      USING (org_id = app_org_id() OR app_is_system())`);
    await q.query(`CREATE POLICY report_exports_insert ON report_exports FOR INSERT
      WITH CHECK (org_id = app_org_id() AND requested_by = app_user_id())`);
    await q.query(`CREATE POLICY report_exports_update ON report_exports FOR UPDATE
      USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);
    await q.query(`CREATE POLICY report_export_rows_read ON report_export_rows FOR SELECT
      USING (org_id = app_org_id())`);
    await q.query(`CREATE POLICY report_export_rows_insert ON report_export_rows FOR INSERT WITH CHECK (
      org_id = app_org_id() AND EXISTS (SELECT 1 FROM report_exports e
        WHERE e.id = report_export_rows.export_id AND e.org_id = app_org_id() AND e.status = 'RUNNING'))`);
    await q.query(`CREATE POLICY report_export_rows_purge ON report_export_rows FOR DELETE USING (
      org_id = app_org_id() AND EXISTS (SELECT 1 FROM report_exports e
        WHERE e.id = report_export_rows.export_id AND e.org_id = app_org_id() AND e.expires_at <= now()))`);

    await q.query(`GRANT SELECT, INSERT ON report_exports TO tasuki_app`);
    await q.query(`GRANT UPDATE (status, started_at, attempts, snapshot_at, finished_at, cohort_count, row_count,
      suppressed_count, columns, metadata, aggregates, expires_at, purged_at, error, updated_at)
      ON report_exports TO tasuki_app`);
    await q.query(`GRANT SELECT, INSERT, DELETE ON report_export_rows TO tasuki_app`);

    // What the export reads of the organization's own clients, and nothing else: no name, kana, contact or
    // municipality. client_profiles returns the same values to the owner, but computes every row's visible
    // categories (for recipients) at about 44 µs a row, nine seconds a pass at 200,000 clients; this view is the
    // owner's rows only, so it needs none. Like client_profiles, it states its filter itself (security_barrier).
    await q.query(`
      CREATE VIEW statistics_subjects WITH (security_barrier = true) AS
      SELECT c.id, c.org_id, c.birth_date, c.prefecture_code, c.designated_disease_numbers, c.disability_certificate
        FROM clients c
       WHERE c.org_id = app_org_id()`);
    await q.query(`GRANT SELECT ON statistics_subjects TO tasuki_app`);

    // The purge of an expired export is a reminder, handled once like the others.
    await q.query(`ALTER TABLE reminders DROP CONSTRAINT reminders_kind_check`);
    await q.query(`ALTER TABLE reminders ADD CONSTRAINT reminders_kind_check
      CHECK (kind IN (${REMINDER_KINDS}, 'EXPORT_EXPIRED'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM reminders WHERE kind = 'EXPORT_EXPIRED'`);
    await q.query(`ALTER TABLE reminders DROP CONSTRAINT reminders_kind_check`);
    await q.query(`ALTER TABLE reminders ADD CONSTRAINT reminders_kind_check CHECK (kind IN (${REMINDER_KINDS}))`);
    await q.query(`DROP VIEW statistics_subjects`);
    await q.query(`DROP TABLE report_export_rows, report_exports`);
    await q.query(`DROP FUNCTION report_exports_guard()`);
  }
}
