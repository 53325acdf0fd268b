import type { MigrationInterface, QueryRunner } from 'typeorm';

const CATEGORIES = `'IDENTITY','CONTACT','HEALTH','EMPLOYMENT','NOTES'`;
const REFERRAL_STATUSES = `'DRAFT','SENT','RECEIVED','ACCEPTED','DECLINED','CANCELLED','COMPLETED','FAILED'`;

/**
 * The shared case: clients, cases and their assignments, timelines, consent grants, referrals with their transition
 * history, data provisions (第三者提供記録), and the designated-disease reference list.
 *
 * The second wall. A client's personal fields are not readable from `clients` by the application role at all (it
 * holds SELECT on `id` and `org_id` only); they are read through the `client_profiles` view, which returns a row
 * only to the owner organization or to a recipient with an accepted referral backed by an ACTIVE grant naming it,
 * and masks every field outside the categories both shared and consented. Withdrawal and expiry therefore apply in
 * the database itself, at the moment they happen.
 */
export class Cases1763800000000 implements MigrationInterface {
  name = 'Cases1763800000000';

  async up(q: QueryRunner): Promise<void> {
    // Reference data, not tenant-owned: the list of 指定難病 and their disease groups, upserted by the importer.
    await q.query(`
      CREATE TABLE designated_diseases (
        number integer PRIMARY KEY CHECK (number BETWEEN 1 AND 9999),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
        groups text[] NOT NULL DEFAULT '{}',
        effective_on date NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE clients (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations (id),
        family_name text NOT NULL CHECK (char_length(family_name) BETWEEN 1 AND 50),
        given_name text NOT NULL CHECK (char_length(given_name) BETWEEN 1 AND 50),
        family_name_kana text CHECK (char_length(family_name_kana) BETWEEN 1 AND 100),
        given_name_kana text CHECK (char_length(given_name_kana) BETWEEN 1 AND 100),
        birth_date date NOT NULL,
        sex text CHECK (sex IN ('FEMALE','MALE','OTHER','UNANSWERED')),
        prefecture_code text NOT NULL CHECK (prefecture_code ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'),
        municipality_code text CHECK (municipality_code ~ '^[0-9]{6}$'),
        phone text CHECK (char_length(phone) <= 20),
        email text CHECK (char_length(email) <= 254),
        designated_disease_numbers integer[] NOT NULL DEFAULT '{}' CHECK (cardinality(designated_disease_numbers) <= 10),
        disability_certificate text CHECK (disability_certificate IN ('NONE','PHYSICAL','REHABILITATION','MENTAL')),
        disclosure text CHECK (disclosure IN ('OPEN','CLOSED','PARTIAL','UNDECIDED')),
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX clients_org_idx ON clients (org_id, created_at)`);

    await q.query(`
      CREATE TABLE cases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        client_id uuid NOT NULL REFERENCES clients (id),
        status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','CLOSED')),
        phase text NOT NULL DEFAULT 'INTAKE' CHECK (phase IN ('INTAKE','ASSESSMENT','PREPARATION','JOB_SEARCH',
          'PLACED','RETENTION','CLOSED')),
        opened_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        close_reason text CHECK (char_length(close_reason) <= 1000),
        last_activity_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (org_id, client_id),
        CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
      )`);
    // The coordinator's list: by organization, status, most recent activity first.
    await q.query(`CREATE INDEX cases_activity_idx ON cases (org_id, status, last_activity_at DESC, id DESC)`);
    await q.query(`CREATE INDEX cases_org_activity_idx ON cases (org_id, last_activity_at DESC, id DESC)`);
    await q.query(`CREATE INDEX cases_client_idx ON cases (client_id)`);

    await q.query(`
      CREATE TABLE case_assignments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        case_id uuid NOT NULL REFERENCES cases (id),
        user_id uuid NOT NULL REFERENCES users (id),
        from_at timestamptz NOT NULL DEFAULT now(),
        to_at timestamptz,
        assigned_by uuid REFERENCES users (id),
        ended_by uuid REFERENCES users (id),
        CHECK (to_at IS NULL OR to_at >= from_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX case_assignments_current_uq ON case_assignments (case_id, user_id)
      WHERE to_at IS NULL`);
    await q.query(`CREATE INDEX case_assignments_case_idx ON case_assignments (org_id, case_id, from_at)`);
    await q.query(`CREATE INDEX case_assignments_user_idx ON case_assignments (org_id, user_id, case_id)
      WHERE to_at IS NULL`);

    await q.query(`
      CREATE TABLE consent_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        client_id uuid NOT NULL REFERENCES clients (id),
        recipient_org_ids uuid[] NOT NULL CHECK (cardinality(recipient_org_ids) BETWEEN 1 AND 50),
        purposes text[] NOT NULL CHECK (cardinality(purposes) >= 1 AND purposes <@ ARRAY['REFERRAL','INFO_SHARING',
          'CASE_CONFERENCE','EMPLOYER_DISCLOSURE','CASE_PRESENTATION','STATISTICS']::text[]),
        categories text[] NOT NULL CHECK (cardinality(categories) >= 1 AND categories <@ ARRAY[${CATEGORIES}]::text[]),
        method text NOT NULL CHECK (method IN ('WRITTEN','ELECTRONIC','VERBAL_RECORDED')),
        granted_by text NOT NULL DEFAULT 'SELF' CHECK (granted_by IN ('SELF','REPRESENTATIVE')),
        granted_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz CHECK (expires_at > granted_at),
        evidence_ref text CHECK (char_length(evidence_ref) <= 200),
        withdrawn_at timestamptz,
        withdrawal_reason text CHECK (char_length(withdrawal_reason) <= 1000),
        withdrawn_by uuid REFERENCES users (id),
        recorded_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((withdrawn_at IS NULL) = (withdrawal_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX consent_grants_client_idx ON consent_grants (org_id, client_id, granted_at)`);
    await q.query(`CREATE INDEX consent_grants_recipients_idx ON consent_grants USING gin (recipient_org_ids)`);
    await q.query(`CREATE INDEX consent_grants_expiry_idx ON consent_grants (org_id, expires_at)
      WHERE withdrawn_at IS NULL AND expires_at IS NOT NULL`);

    // The sender owns the row (org_id); the recipient reads it and answers it.
    await q.query(`
      CREATE TABLE referrals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        to_org_id uuid NOT NULL REFERENCES organizations (id) CHECK (to_org_id <> org_id),
        client_id uuid NOT NULL REFERENCES clients (id),
        from_case_id uuid NOT NULL REFERENCES cases (id),
        to_case_id uuid REFERENCES cases (id),
        consent_id uuid NOT NULL REFERENCES consent_grants (id),
        previous_referral_id uuid REFERENCES referrals (id),
        reason text NOT NULL CHECK (reason IN ('ASSESSMENT','JOB_PLACEMENT','JOB_COACH','LIFE_SUPPORT','MEDICAL',
          'RETENTION','BALANCE_SUPPORT','PEER_SUPPORT','OTHER')),
        urgency text NOT NULL DEFAULT 'NORMAL' CHECK (urgency IN ('NORMAL','URGENT')),
        message text CHECK (char_length(message) <= 2000),
        shared_categories text[] NOT NULL CHECK (cardinality(shared_categories) >= 1
          AND shared_categories <@ ARRAY[${CATEGORIES}]::text[]),
        status text NOT NULL CHECK (status IN (${REFERRAL_STATUSES})),
        status_reason text CHECK (char_length(status_reason) <= 1000),
        decline_code text CHECK (decline_code IN ('NO_CAPACITY','OUT_OF_AREA','NOT_ELIGIBLE','CLIENT_UNREACHABLE',
          'DUPLICATE','OTHER')),
        outcome text CHECK (char_length(outcome) <= 1000),
        sent_at timestamptz,
        respond_by date,
        received_at timestamptz,
        responded_at timestamptz,
        closed_at timestamptz,
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX referrals_outgoing_idx ON referrals (org_id, status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX referrals_incoming_idx ON referrals (to_org_id, status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX referrals_recipient_client_idx ON referrals (to_org_id, client_id)`);
    await q.query(`CREATE INDEX referrals_from_case_idx ON referrals (org_id, from_case_id)`);
    await q.query(`CREATE INDEX referrals_to_case_idx ON referrals (to_org_id, to_case_id)`);
    await q.query(`CREATE INDEX referrals_consent_idx ON referrals (org_id, consent_id)`);
    // At most one open referral per client from one organization to another.
    await q.query(`CREATE UNIQUE INDEX referrals_open_uq ON referrals (org_id, to_org_id, client_id)
      WHERE status IN ('DRAFT','SENT','RECEIVED','ACCEPTED')`);

    // The database's own copy of the state machine: no update may leave a terminal state, take a transition the
    // product does not allow, or rewrite what was sent.
    await q.query(`
      CREATE FUNCTION referrals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.id, NEW.org_id, NEW.to_org_id, NEW.client_id, NEW.from_case_id, NEW.consent_id, NEW.reason,
            NEW.message, NEW.shared_categories, NEW.created_at)
           IS DISTINCT FROM
           (OLD.id, OLD.org_id, OLD.to_org_id, OLD.client_id, OLD.from_case_id, OLD.consent_id, OLD.reason,
            OLD.message, OLD.shared_categories, OLD.created_at) THEN
          RAISE EXCEPTION 'a sent referral cannot be rewritten' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'DRAFT' AND NEW.status IN ('SENT','CANCELLED'))
          OR (OLD.status = 'SENT' AND NEW.status IN ('RECEIVED','ACCEPTED','DECLINED','CANCELLED'))
          OR (OLD.status = 'RECEIVED' AND NEW.status IN ('ACCEPTED','DECLINED','CANCELLED'))
          OR (OLD.status = 'ACCEPTED' AND NEW.status IN ('COMPLETED','FAILED','CANCELLED'))) THEN
          RAISE EXCEPTION 'referral transition % -> % is not allowed', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status = OLD.status AND OLD.status IN ('DECLINED','CANCELLED','COMPLETED','FAILED') THEN
          RAISE EXCEPTION 'a closed referral never reopens' USING ERRCODE = 'check_violation';
        END IF;
        NEW.updated_at := now();
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER referrals_guard BEFORE UPDATE ON referrals FOR EACH ROW EXECUTE FUNCTION referrals_guard()`,
    );

    await q.query(`
      CREATE TABLE referral_transitions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        to_org_id uuid NOT NULL REFERENCES organizations (id),
        referral_id uuid NOT NULL REFERENCES referrals (id),
        from_status text CHECK (from_status IN (${REFERRAL_STATUSES})),
        to_status text NOT NULL CHECK (to_status IN (${REFERRAL_STATUSES})),
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_org_id uuid REFERENCES organizations (id),
        actor_user_id uuid REFERENCES users (id),
        reason text CHECK (char_length(reason) <= 1000),
        code text
      )`);
    await q.query(`CREATE INDEX referral_transitions_idx ON referral_transitions (org_id, referral_id, at)`);
    await q.query(
      `CREATE INDEX referral_transitions_recipient_idx ON referral_transitions (to_org_id, referral_id, at)`,
    );

    // Append-only: corrections are new entries that point at the entry they correct. An entry may precede the
    // organization's case (a referral received before it is accepted): case_id is then null.
    await q.query(`
      CREATE TABLE timeline_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        client_id uuid NOT NULL REFERENCES clients (id),
        case_id uuid REFERENCES cases (id),
        kind text NOT NULL CHECK (kind IN ('INTAKE','CONSULTATION','NOTE','REFERRAL_SENT','REFERRAL_RECEIVED',
          'REFERRAL_ACCEPTED','REFERRAL_DECLINED','REFERRAL_CANCELLED','REFERRAL_COMPLETED','REFERRAL_FAILED',
          'CONSENT_GRANTED','CONSENT_WITHDRAWN','CONSENT_EXPIRED','HANDOVER','ASSIGNMENT','PLACEMENT','FOLLOW_UP',
          'CASE_CLOSED','CASE_REOPENED','CORRECTION')),
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        author_user_id uuid REFERENCES users (id),
        author_org_id uuid NOT NULL REFERENCES organizations (id),
        summary text NOT NULL CHECK (char_length(summary) BETWEEN 1 AND 200),
        body text CHECK (char_length(body) <= 10000),
        corrects_entry_id uuid REFERENCES timeline_entries (id),
        referral_id uuid REFERENCES referrals (id)
      )`);
    await q.query(
      `CREATE INDEX timeline_client_idx ON timeline_entries (org_id, client_id, occurred_at DESC, id DESC)`,
    );

    // 第三者提供記録: written when data leaves an organization; never changed.
    await q.query(`
      CREATE TABLE data_provisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        client_id uuid NOT NULL REFERENCES clients (id),
        recipient_org_id uuid NOT NULL REFERENCES organizations (id),
        categories text[] NOT NULL CHECK (cardinality(categories) >= 1 AND categories <@ ARRAY[${CATEGORIES}]::text[]),
        consent_id uuid NOT NULL REFERENCES consent_grants (id),
        referral_id uuid REFERENCES referrals (id),
        provided_at timestamptz NOT NULL DEFAULT now(),
        provided_by uuid REFERENCES users (id)
      )`);
    await q.query(`CREATE INDEX data_provisions_client_idx ON data_provisions (org_id, client_id, provided_at)`);

    // The categories of a client the acting organization may read: all of them for the owner; for anyone else the
    // categories both shared by an accepted (or completed) referral to it and covered by an ACTIVE grant naming it.
    await q.query(`
      CREATE FUNCTION app_client_categories(p_client uuid, p_owner uuid) RETURNS text[]
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN p_owner = app_org_id() THEN ARRAY[${CATEGORIES}]::text[]
        ELSE coalesce((
          SELECT array_agg(DISTINCT cat ORDER BY cat)
            FROM referrals r
            JOIN consent_grants g ON g.id = r.consent_id
            CROSS JOIN LATERAL unnest(r.shared_categories) AS cat
           WHERE r.to_org_id = app_org_id() AND r.client_id = p_client
             AND r.status IN ('ACCEPTED','COMPLETED')
             AND g.withdrawn_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
             AND app_org_id() = ANY (g.recipient_org_ids)
             AND cat = ANY (g.categories)), '{}'::text[]) END
      $$`);

    // Row-level security on every new table.
    const tenantTables = [
      'clients',
      'cases',
      'case_assignments',
      'consent_grants',
      'referrals',
      'referral_transitions',
      'timeline_entries',
      'data_provisions',
      'designated_diseases',
    ];
    for (const t of tenantTables) {
      await q.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
    }
    await q.query(`CREATE POLICY designated_diseases_read ON designated_diseases FOR SELECT USING (true)`);

    await q.query(`CREATE POLICY clients_read ON clients FOR SELECT
      USING (org_id = app_org_id() OR cardinality(app_client_categories(id, org_id)) > 0)`);
    await q.query(`CREATE POLICY clients_insert ON clients FOR INSERT WITH CHECK (org_id = app_org_id())`);

    for (const t of ['cases', 'case_assignments']) {
      await q.query(`CREATE POLICY ${t}_read ON ${t} FOR SELECT USING (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_insert ON ${t} FOR INSERT WITH CHECK (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_update ON ${t} FOR UPDATE
        USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);
    }

    // A recipient reads a grant that names it once it has been sent a referral relying on it.
    await q.query(`CREATE POLICY consent_grants_read ON consent_grants FOR SELECT USING (
      org_id = app_org_id()
      OR (app_org_id() = ANY (recipient_org_ids)
          AND EXISTS (SELECT 1 FROM referrals r WHERE r.consent_id = consent_grants.id AND r.to_org_id = app_org_id())))`);
    await q.query(
      `CREATE POLICY consent_grants_insert ON consent_grants FOR INSERT WITH CHECK (org_id = app_org_id())`,
    );
    await q.query(`CREATE POLICY consent_grants_update ON consent_grants FOR UPDATE
      USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);

    await q.query(`CREATE POLICY referrals_read ON referrals FOR SELECT
      USING (org_id = app_org_id() OR to_org_id = app_org_id())`);
    await q.query(`CREATE POLICY referrals_insert ON referrals FOR INSERT WITH CHECK (org_id = app_org_id())`);
    await q.query(`CREATE POLICY referrals_update ON referrals FOR UPDATE
      USING (org_id = app_org_id() OR to_org_id = app_org_id())
      WITH CHECK (org_id = app_org_id() OR to_org_id = app_org_id())`);

    await q.query(`CREATE POLICY referral_transitions_read ON referral_transitions FOR SELECT
      USING (org_id = app_org_id() OR to_org_id = app_org_id())`);
    await q.query(`CREATE POLICY referral_transitions_insert ON referral_transitions FOR INSERT WITH CHECK (
      actor_org_id = app_org_id()
      AND EXISTS (SELECT 1 FROM referrals r WHERE r.id = referral_id
                  AND r.org_id = referral_transitions.org_id AND r.to_org_id = referral_transitions.to_org_id))`);

    // An organization writes its own timeline, and the other party's only about a referral between the two.
    // NOTES: an organization reads another's timeline of a client only when that organization referred the client
    // to it, the referral (accepted) shared NOTES, and an ACTIVE grant naming it covers NOTES.
    await q.query(`
      CREATE FUNCTION app_notes_shared(p_client uuid, p_from_org uuid) RETURNS boolean
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT EXISTS (
          SELECT 1 FROM referrals r JOIN consent_grants g ON g.id = r.consent_id
           WHERE r.to_org_id = app_org_id() AND r.org_id = p_from_org AND r.client_id = p_client
             AND r.status IN ('ACCEPTED','COMPLETED') AND 'NOTES' = ANY (r.shared_categories)
             AND g.withdrawn_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
             AND app_org_id() = ANY (g.recipient_org_ids) AND 'NOTES' = ANY (g.categories))
      $$`);
    await q.query(`GRANT EXECUTE ON FUNCTION app_notes_shared(uuid, uuid) TO tasuki_app`);
    await q.query(`CREATE POLICY timeline_read ON timeline_entries FOR SELECT
      USING (org_id = app_org_id() OR app_notes_shared(client_id, org_id))`);
    await q.query(`CREATE POLICY timeline_insert ON timeline_entries FOR INSERT WITH CHECK (
      author_org_id = app_org_id()
      AND (org_id = app_org_id()
        OR (referral_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM referrals r
           WHERE r.id = timeline_entries.referral_id AND r.client_id = timeline_entries.client_id
             AND ((r.org_id = app_org_id() AND r.to_org_id = timeline_entries.org_id
                   AND (timeline_entries.case_id IS NULL OR timeline_entries.case_id = r.to_case_id))
               OR (r.to_org_id = app_org_id() AND r.org_id = timeline_entries.org_id
                   AND (timeline_entries.case_id IS NULL OR timeline_entries.case_id = r.from_case_id)))))))`);

    await q.query(`CREATE POLICY data_provisions_read ON data_provisions FOR SELECT USING (org_id = app_org_id())`);
    await q.query(
      `CREATE POLICY data_provisions_insert ON data_provisions FOR INSERT WITH CHECK (org_id = app_org_id())`,
    );

    // The masked profile. Owned by the migration's role, it states its row filter itself (the same predicate as
    // clients_read), so it holds whether or not its owner is subject to RLS.
    await q.query(`
      CREATE VIEW client_profiles WITH (security_barrier = true) AS
      SELECT c.id, c.org_id, v.cats AS visible_categories,
        CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.family_name END AS family_name,
        CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.given_name END AS given_name,
        CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.family_name_kana END AS family_name_kana,
        CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.given_name_kana END AS given_name_kana,
        CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.birth_date END AS birth_date,
        CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.sex END AS sex,
        CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.prefecture_code END AS prefecture_code,
        CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.municipality_code END AS municipality_code,
        CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.phone END AS phone,
        CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.email END AS email,
        CASE WHEN 'HEALTH' = ANY (v.cats) THEN c.designated_disease_numbers END AS designated_disease_numbers,
        CASE WHEN 'HEALTH' = ANY (v.cats) THEN c.disability_certificate END AS disability_certificate,
        CASE WHEN 'EMPLOYMENT' = ANY (v.cats) THEN c.disclosure END AS disclosure
      FROM clients c
      -- OFFSET 0 keeps the subquery from being flattened, so the categories are computed once per row, not once per
      -- column that reads them.
      CROSS JOIN LATERAL (SELECT app_client_categories(c.id, c.org_id) AS cats OFFSET 0) v
      WHERE app_org_id() IS NOT NULL AND cardinality(v.cats) > 0`);

    await q.query(`GRANT EXECUTE ON FUNCTION app_client_categories(uuid, uuid) TO tasuki_app`);
    await q.query(`GRANT SELECT ON designated_diseases, client_profiles TO tasuki_app`);
    // Personal fields only through client_profiles; no UPDATE or DELETE of a client yet.
    await q.query(`GRANT SELECT (id, org_id), INSERT ON clients TO tasuki_app`);
    await q.query(`GRANT SELECT, INSERT ON cases, case_assignments, consent_grants, referrals TO tasuki_app`);
    await q.query(`GRANT UPDATE (status, phase, closed_at, close_reason, last_activity_at, updated_at) ON cases
      TO tasuki_app`);
    await q.query(`GRANT UPDATE (to_at, ended_by) ON case_assignments TO tasuki_app`);
    await q.query(`GRANT UPDATE (withdrawn_at, withdrawal_reason, withdrawn_by) ON consent_grants TO tasuki_app`);
    await q.query(`GRANT UPDATE (status, status_reason, decline_code, outcome, to_case_id, received_at, responded_at,
      closed_at, updated_at) ON referrals TO tasuki_app`);
    // Append-only records.
    await q.query(`GRANT SELECT, INSERT ON referral_transitions, timeline_entries, data_provisions TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW client_profiles`);
    await q.query(`DROP TABLE data_provisions, timeline_entries, referral_transitions, referrals, consent_grants,
      case_assignments, cases, clients, designated_diseases`);
    await q.query(`DROP FUNCTION app_client_categories(uuid, uuid), app_notes_shared(uuid, uuid), referrals_guard()`);
  }
}
