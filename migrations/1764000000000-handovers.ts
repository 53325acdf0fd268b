import type { MigrationInterface, QueryRunner } from 'typeorm';

const STATUSES = `'DRAFT','SUBMITTED','ACKNOWLEDGED','CANCELLED'`;

/**
 * Handovers (引継ぎ) for staff rotation: a handover from a leaver to a successor of the same organization, the cases
 * it covers and the structured notes written for each case. Notes are append-only versions: a rewrite adds a
 * version, so nothing a supporter wrote is ever lost. Everything is organization-internal (RLS on org_id).
 */
export class Handovers1764000000000 implements MigrationInterface {
  name = 'Handovers1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE handovers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        from_user_id uuid NOT NULL REFERENCES users (id),
        to_user_id uuid NOT NULL REFERENCES users (id),
        reason text NOT NULL CHECK (reason IN ('ROTATION','TERM_END','RESIGNATION','CONTRACT_CHANGE','REASSIGNMENT')),
        effective_on date NOT NULL,
        status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN (${STATUSES})),
        created_by uuid NOT NULL REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz,
        submitted_by uuid REFERENCES users (id),
        override_reason text CHECK (char_length(override_reason) BETWEEN 1 AND 1000),
        acknowledged_at timestamptz,
        cancelled_at timestamptz,
        cancelled_by uuid REFERENCES users (id),
        cancel_reason text CHECK (char_length(cancel_reason) BETWEEN 1 AND 1000),
        -- when the assignments moved (the effective date's job, or an acknowledgment on or after that date)
        moved_at timestamptz,
        -- set by the worker's reminders, once each, so an escalation is sent exactly once
        escalated_unsubmitted_at timestamptz,
        escalated_unacknowledged_at timestamptz,
        CHECK (to_user_id <> from_user_id),
        CHECK ((status IN ('SUBMITTED','ACKNOWLEDGED')) <= (submitted_at IS NOT NULL)),
        CHECK ((status = 'ACKNOWLEDGED') <= (acknowledged_at IS NOT NULL)),
        CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL)),
        CHECK (NOT (status = 'CANCELLED' AND moved_at IS NOT NULL))
      )`);
    // The rotation view and the incoming list: by organization, upcoming first.
    await q.query(`CREATE INDEX handovers_org_idx ON handovers (org_id, effective_on, id)`);
    await q.query(`CREATE INDEX handovers_successor_idx ON handovers (org_id, to_user_id, effective_on)
      WHERE status <> 'CANCELLED'`);
    await q.query(`CREATE INDEX handovers_leaver_idx ON handovers (org_id, from_user_id, effective_on)`);
    // What the effective-date job and the escalation reminders sweep.
    await q.query(`CREATE INDEX handovers_due_idx ON handovers (effective_on)
      WHERE moved_at IS NULL AND status <> 'CANCELLED'`);

    // The database's own copy of the state machine and of what may change after the start.
    await q.query(`
      CREATE FUNCTION handovers_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.id, NEW.org_id, NEW.from_user_id, NEW.reason, NEW.effective_on, NEW.created_by, NEW.created_at)
           IS DISTINCT FROM
           (OLD.id, OLD.org_id, OLD.from_user_id, OLD.reason, OLD.effective_on, OLD.created_by, OLD.created_at) THEN
          RAISE EXCEPTION 'a handover''s leaver, reason and date cannot be rewritten' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'DRAFT' AND NEW.status IN ('SUBMITTED','CANCELLED'))
          OR (OLD.status = 'SUBMITTED' AND NEW.status IN ('ACKNOWLEDGED','CANCELLED'))
          OR (OLD.status = 'ACKNOWLEDGED' AND NEW.status = 'CANCELLED')) THEN
          RAISE EXCEPTION 'handover transition % -> % is not allowed', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
        END IF;
        IF OLD.status = 'CANCELLED' THEN
          RAISE EXCEPTION 'a cancelled handover never changes' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.to_user_id IS DISTINCT FROM OLD.to_user_id AND OLD.status <> 'DRAFT' THEN
          RAISE EXCEPTION 'the successor changes only before submission' USING ERRCODE = 'check_violation';
        END IF;
        IF OLD.moved_at IS NOT NULL AND NEW.moved_at IS DISTINCT FROM OLD.moved_at THEN
          RAISE EXCEPTION 'assignments move once' USING ERRCODE = 'check_violation';
        END IF;
        NEW.updated_at := now();
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER handovers_guard BEFORE UPDATE ON handovers FOR EACH ROW EXECUTE FUNCTION handovers_guard()`,
    );

    // The cases a handover covers. `live` until the assignments moved or the handover was cancelled: a case is in
    // at most one live handover.
    await q.query(`
      CREATE TABLE handover_cases (
        handover_id uuid NOT NULL REFERENCES handovers (id),
        case_id uuid NOT NULL REFERENCES cases (id),
        org_id uuid NOT NULL REFERENCES organizations (id),
        position int NOT NULL CHECK (position >= 0),
        live boolean NOT NULL DEFAULT true,
        PRIMARY KEY (handover_id, case_id)
      )`);
    await q.query(`CREATE UNIQUE INDEX handover_cases_live_uq ON handover_cases (case_id) WHERE live`);
    await q.query(`CREATE INDEX handover_cases_case_idx ON handover_cases (org_id, case_id)`);

    await q.query(`
      CREATE TABLE handover_notes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        handover_id uuid NOT NULL,
        case_id uuid NOT NULL,
        version int NOT NULL CHECK (version >= 1),
        situation text CHECK (char_length(situation) <= 4000),
        next_actions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(next_actions) = 'array'
          AND jsonb_array_length(next_actions) <= 50),
        cautions text CHECK (char_length(cautions) <= 4000),
        key_contacts text CHECK (char_length(key_contacts) <= 2000),
        client_informed_on date,
        written_by uuid NOT NULL REFERENCES users (id),
        written_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (handover_id, case_id) REFERENCES handover_cases (handover_id, case_id),
        UNIQUE (handover_id, case_id, version)
      )`);

    for (const t of ['handovers', 'handover_cases', 'handover_notes']) {
      await q.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY ${t}_read ON ${t} FOR SELECT USING (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_insert ON ${t} FOR INSERT WITH CHECK (org_id = app_org_id())`);
    }
    for (const t of ['handovers', 'handover_cases']) {
      await q.query(`CREATE POLICY ${t}_update ON ${t} FOR UPDATE
        USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);
    }
    await q.query(`GRANT SELECT, INSERT ON handovers, handover_cases, handover_notes TO tasuki_app`);
    await q.query(`GRANT UPDATE (to_user_id, status, submitted_at, submitted_by, override_reason, acknowledged_at,
      cancelled_at, cancelled_by, cancel_reason, moved_at, escalated_unsubmitted_at, escalated_unacknowledged_at,
      updated_at) ON handovers TO tasuki_app`);
    await q.query(`GRANT UPDATE (live) ON handover_cases TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE handover_notes, handover_cases, handovers`);
    await q.query(`DROP FUNCTION handovers_guard()`);
  }
}
