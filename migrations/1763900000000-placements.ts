import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Placements (就職) and their follow-ups (定着支援フォローアップ at 2 weeks and 1, 3, 6, 12 months).
 *
 * A placement is append-only apart from its separation (離職), recorded once. A follow-up changes only its status
 * and what recording it done writes; a trigger keeps the status machine (SCHEDULED → DONE | MISSED | CANCELLED,
 * MISSED → DONE, nothing else) in the database, so no writer can bring a settled follow-up back to SCHEDULED.
 * The columns of `follow_ups` are relied on by the worker (the reminder sweep): change them only with it.
 */
export class Placements1763900000000 implements MigrationInterface {
  name = 'Placements1763900000000';

  async up(q: QueryRunner): Promise<void> {
    // Lets a placement name its case, organization and client together, so the three always agree.
    await q.query(`CREATE UNIQUE INDEX cases_id_org_client_uq ON cases (id, org_id, client_id)`);

    await q.query(`
      CREATE TABLE placements (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        case_id uuid NOT NULL,
        client_id uuid NOT NULL,
        employer_name text NOT NULL CHECK (char_length(employer_name) BETWEEN 1 AND 200),
        start_date date NOT NULL,
        employment_type text CHECK (employment_type IN ('FULL_TIME','CONTRACT','PART_TIME','DISPATCH','OTHER')),
        route text NOT NULL CHECK (route IN ('DISABILITY_VACANCY','GENERAL_OPEN','GENERAL_CLOSED')),
        weekly_hours_band text NOT NULL
          CHECK (weekly_hours_band IN ('UNDER_10','FROM_10_UNDER_20','FROM_20_UNDER_30','FROM_30')),
        separated_on date,
        separation_reason text CHECK (char_length(separation_reason) BETWEEN 1 AND 1000),
        recorded_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        separation_recorded_by uuid REFERENCES users (id),
        separation_recorded_at timestamptz,
        FOREIGN KEY (case_id, org_id, client_id) REFERENCES cases (id, org_id, client_id),
        UNIQUE (id, org_id, case_id),
        CHECK ((separated_on IS NULL) = (separation_reason IS NULL)
           AND (separated_on IS NULL) = (separation_recorded_at IS NULL)),
        CHECK (separated_on >= start_date)
      )`);
    await q.query(`CREATE INDEX placements_case_idx ON placements (org_id, case_id, start_date)`);
    // One placement in force per case: a new one only after the previous one's separation.
    await q.query(`CREATE UNIQUE INDEX placements_active_uq ON placements (case_id) WHERE separated_on IS NULL`);

    await q.query(`
      CREATE FUNCTION placements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.separated_on IS NOT NULL THEN
          RAISE EXCEPTION 'a separation is recorded once' USING ERRCODE = 'check_violation';
        END IF;
        IF (NEW.id, NEW.org_id, NEW.case_id, NEW.client_id, NEW.employer_name, NEW.start_date, NEW.employment_type,
            NEW.route, NEW.weekly_hours_band, NEW.recorded_by, NEW.created_at)
           IS DISTINCT FROM
           (OLD.id, OLD.org_id, OLD.case_id, OLD.client_id, OLD.employer_name, OLD.start_date, OLD.employment_type,
            OLD.route, OLD.weekly_hours_band, OLD.recorded_by, OLD.created_at) THEN
          RAISE EXCEPTION 'a placement is not rewritten' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);

    await q.query(`
      CREATE TABLE follow_ups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        case_id uuid NOT NULL REFERENCES cases (id),
        placement_id uuid NOT NULL REFERENCES placements (id),
        milestone text NOT NULL CHECK (milestone IN ('W2','M1','M3','M6','M12')),
        due_on date NOT NULL,
        status text NOT NULL DEFAULT 'SCHEDULED' CHECK (status IN ('SCHEDULED','DONE','MISSED','CANCELLED')),
        done_at timestamptz,
        method text CHECK (method IN ('VISIT','PHONE','ONLINE','EMAIL','OTHER')),
        note text CHECK (char_length(note) <= 10000),
        done_by uuid REFERENCES users (id),
        status_changed_at timestamptz,
        UNIQUE (placement_id, milestone),
        FOREIGN KEY (placement_id, org_id, case_id) REFERENCES placements (id, org_id, case_id),
        CHECK ((status = 'DONE') = (done_at IS NOT NULL)),
        CHECK (status <> 'DONE' OR method IS NOT NULL),
        CHECK ((status = 'SCHEDULED') = (status_changed_at IS NULL))
      )`);
    // A case's next follow-up (Case.nextFollowUpAt), and the worker's sweep of what is due.
    await q.query(`CREATE INDEX follow_ups_case_due_idx ON follow_ups (org_id, case_id, due_on)
      WHERE status = 'SCHEDULED'`);
    await q.query(`CREATE INDEX follow_ups_due_idx ON follow_ups (org_id, due_on) WHERE status = 'SCHEDULED'`);
    await q.query(`CREATE INDEX follow_ups_case_idx ON follow_ups (org_id, case_id, due_on)`);

    await q.query(`
      CREATE FUNCTION follow_ups_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.id, NEW.org_id, NEW.case_id, NEW.placement_id, NEW.milestone, NEW.due_on)
           IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.case_id, OLD.placement_id, OLD.milestone, OLD.due_on) THEN
          RAISE EXCEPTION 'a follow-up keeps its placement, milestone and due date' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'SCHEDULED' AND NEW.status IN ('DONE','MISSED','CANCELLED'))
          OR (OLD.status = 'MISSED' AND NEW.status = 'DONE')) THEN
          RAISE EXCEPTION 'follow-up transition % -> % is not allowed', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status = OLD.status AND OLD.status IN ('DONE','CANCELLED')
           AND (NEW.done_at, NEW.method, NEW.note, NEW.done_by, NEW.status_changed_at)
               IS DISTINCT FROM (OLD.done_at, OLD.method, OLD.note, OLD.done_by, OLD.status_changed_at) THEN
          RAISE EXCEPTION 'a settled follow-up is not rewritten' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);

    for (const t of ['placements', 'follow_ups']) {
      await q.query(`CREATE TRIGGER ${t}_guard BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_guard()`);
      await q.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY ${t}_read ON ${t} FOR SELECT USING (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_insert ON ${t} FOR INSERT WITH CHECK (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_update ON ${t} FOR UPDATE
        USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);
    }
    await q.query(`GRANT SELECT, INSERT ON placements, follow_ups TO tasuki_app`);
    await q.query(`GRANT UPDATE (separated_on, separation_reason, separation_recorded_by, separation_recorded_at)
      ON placements TO tasuki_app`);
    await q.query(`GRANT UPDATE (status, done_at, method, note, done_by, status_changed_at) ON follow_ups
      TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE follow_ups, placements`);
    await q.query(`DROP FUNCTION follow_ups_guard(), placements_guard()`);
    await q.query(`DROP INDEX cases_id_org_client_uq`);
  }
}
