import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Foundation: the application role, the tenant-context helpers that every row-level-security policy uses, and the
 * organizations / users / memberships / audit_events tables.
 *
 * Tenant context is read with current_setting(..., true): an unset setting is NULL, so every policy fails closed.
 */
export class Foundation1763700000000 implements MigrationInterface {
  name = 'Foundation1763700000000';

  async up(q: QueryRunner): Promise<void> {
    // The application role: logs in, is not superuser, cannot bypass RLS, owns nothing, gets DML grants only.
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tasuki_app') THEN
          CREATE ROLE tasuki_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
        END IF;
      END $$`);
    await q.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
    await q.query(`GRANT USAGE ON SCHEMA public TO tasuki_app`);

    await q.query(`
      CREATE FUNCTION app_org_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$`);
    await q.query(`
      CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$`);
    await q.query(`
      CREATE FUNCTION app_is_operator() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT coalesce(current_setting('app.operator', true), '') = 'on' $$`);
    // Set only by the sign-in and add-member flows: lets them find one user by e-mail or OIDC subject.
    await q.query(`
      CREATE FUNCTION app_auth_email() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.auth_email', true), '') $$`);
    await q.query(`
      CREATE FUNCTION app_auth_subject() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.auth_subject', true), '') $$`);
    await q.query(`GRANT EXECUTE ON FUNCTION app_org_id(), app_user_id(), app_is_operator(), app_auth_email(),
      app_auth_subject() TO tasuki_app`);

    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('HELLO_WORK','VOCATIONAL_CENTER','WORK_LIFE_SUPPORT_CENTER',
          'DISEASE_SUPPORT_CENTER','HOSPITAL','TRANSITION_SERVICE','CONTINUOUS_SERVICE','RETENTION_SERVICE',
          'SELF_RELIANCE_OFFICE','YOUTH_SUPPORT_STATION','SOCIAL_WELFARE_COUNCIL','OCCUPATIONAL_HEALTH_CENTER',
          'MUNICIPALITY','NPO','EMPLOYER','OTHER')),
        prefecture_code text NOT NULL CHECK (prefecture_code ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'),
        municipality_code text CHECK (municipality_code ~ '^[0-9]{6}$'),
        services text[] NOT NULL DEFAULT '{}' CHECK (cardinality(services) <= 50),
        accepts_referrals boolean NOT NULL DEFAULT true,
        contact text CHECK (char_length(contact) <= 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX organizations_directory_idx ON organizations (name, id)`);
    await q.query(`CREATE INDEX organizations_prefecture_kind_idx ON organizations (prefecture_code, kind)`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
        email_normalized text GENERATED ALWAYS AS (lower(email)) STORED,
        display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
        password_hash text,
        oidc_subject text,
        is_operator boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_uq ON users (email_normalized)`);
    await q.query(`CREATE UNIQUE INDEX users_oidc_subject_uq ON users (oidc_subject) WHERE oidc_subject IS NOT NULL`);

    await q.query(`
      CREATE TABLE memberships (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        user_id uuid NOT NULL REFERENCES users (id),
        roles text[] NOT NULL CHECK (cardinality(roles) >= 1
          AND roles <@ ARRAY['ORG_ADMIN','COORDINATOR','SUPPORTER','ANALYST']::text[]),
        term_ends_on date,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (org_id, user_id)
      )`);
    await q.query(`CREATE INDEX memberships_user_idx ON memberships (user_id)`);

    // Append-only, hash-chained per organization: seq and prev_hash make a gap or an edit detectable.
    await q.query(`
      CREATE TABLE audit_events (
        org_id uuid NOT NULL REFERENCES organizations (id),
        seq bigint NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_user_id uuid,
        action text NOT NULL,
        subject_type text NOT NULL,
        subject_id text,
        fields text[] NOT NULL DEFAULT '{}',
        purpose text,
        request_id text,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (org_id, seq)
      )`);

    // Row-level security: enabled and forced everywhere, no policy for what must never happen.
    for (const t of ['organizations', 'users', 'memberships', 'audit_events']) {
      await q.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
    }
    // The directory: every signed-in user reads it; only the operator adds; an organization edits its own entry.
    await q.query(`CREATE POLICY organizations_read ON organizations FOR SELECT USING (app_user_id() IS NOT NULL)`);
    await q.query(`CREATE POLICY organizations_insert ON organizations FOR INSERT WITH CHECK (app_is_operator())`);
    await q.query(`CREATE POLICY organizations_update ON organizations FOR UPDATE
      USING (id = app_org_id()) WITH CHECK (id = app_org_id())`);

    // Users: yourself, the members of the acting organization, or the one account a sign-in is looking up.
    await q.query(`CREATE POLICY users_read ON users FOR SELECT USING (
      id = app_user_id()
      OR email_normalized = lower(app_auth_email())
      OR oidc_subject = app_auth_subject()
      OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.org_id = app_org_id()))`);
    await q.query(`CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (
      NOT is_operator AND app_user_id() IS NOT NULL AND (app_is_operator() OR app_org_id() IS NOT NULL))`);
    await q.query(`CREATE POLICY users_update ON users FOR UPDATE
      USING (id = app_user_id() OR oidc_subject IS NULL AND email_normalized = lower(app_auth_email()))
      WITH CHECK (NOT is_operator OR id = app_user_id())`);

    await q.query(`CREATE POLICY memberships_read ON memberships FOR SELECT
      USING (org_id = app_org_id() OR user_id = app_user_id())`);
    await q.query(`CREATE POLICY memberships_insert ON memberships FOR INSERT WITH CHECK (org_id = app_org_id())`);
    await q.query(`CREATE POLICY memberships_update ON memberships FOR UPDATE
      USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);

    await q.query(`CREATE POLICY audit_read ON audit_events FOR SELECT USING (org_id = app_org_id())`);
    await q.query(`CREATE POLICY audit_insert ON audit_events FOR INSERT WITH CHECK (org_id = app_org_id())`);

    await q.query(`GRANT SELECT, INSERT, UPDATE ON organizations, users, memberships TO tasuki_app`);
    await q.query(`GRANT SELECT, INSERT ON audit_events TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events, memberships, users, organizations`);
    await q.query(`DROP FUNCTION app_org_id(), app_user_id(), app_is_operator(), app_auth_email(), app_auth_subject()`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM tasuki_app`);
  }
}
