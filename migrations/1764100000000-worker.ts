import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The worker's tables. `outbox`: what must happen after a change, written in the change's transaction and relayed
 * to BullMQ by the worker. `reminders`: what must happen at a time, swept every minute. `notifications`: in-app
 * messages per user. `webhooks` / `webhook_deliveries`: an organization's endpoint and what was sent to it.
 *
 * The worker's sweeps read the outbox and the reminders of every organization under `app.system = on` (ids and
 * kinds only, no personal data); each job then runs under its organization's own setting.
 */
export class Worker1764100000000 implements MigrationInterface {
  name = 'Worker1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION app_is_system() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT coalesce(current_setting('app.system', true), '') = 'on' $$`);
    await q.query(`GRANT EXECUTE ON FUNCTION app_is_system() TO tasuki_app`);
    // The daily scans create one reminder per organization.
    await q.query(`CREATE POLICY organizations_system_read ON organizations FOR SELECT USING (app_is_system())`);

    await q.query(`
      CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations (id),
        kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_.]{0,99}$'),
        payload jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
        created_at timestamptz NOT NULL DEFAULT now(),
        relayed_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL`);

    await q.query(`
      CREATE TABLE reminders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        kind text NOT NULL CHECK (kind IN ('REFERRAL_UNANSWERED','REFERRAL_UNANSWERED_SENDER','CONSENT_EXPIRING',
          'CONSENT_EXPIRED','FOLLOW_UP_DUE','FOLLOW_UP_MISSED','HANDOVER_NOT_SUBMITTED','HANDOVER_NOT_ACKNOWLEDGED',
          'HANDOVER_MOVE','TERMS_ENDING','STALE_CASES')),
        subject_id uuid NOT NULL,
        due_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','ENQUEUED','DONE','CANCELLED')),
        enqueued_at timestamptz,
        done_at timestamptz,
        outcome text CHECK (char_length(outcome) <= 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (org_id, kind, subject_id, due_at)
      )`);
    await q.query(`CREATE INDEX reminders_due_idx ON reminders (due_at) WHERE status IN ('PENDING','ENQUEUED')`);
    await q.query(`CREATE INDEX reminders_subject_idx ON reminders (org_id, subject_id) WHERE status = 'PENDING'`);

    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        user_id uuid NOT NULL REFERENCES users (id),
        kind text NOT NULL CHECK (kind ~ '^[A-Z][A-Z_]{0,63}$'),
        subject_type text CHECK (char_length(subject_type) <= 40),
        subject_id uuid,
        message text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 1000),
        dedupe_key text NOT NULL CHECK (char_length(dedupe_key) <= 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz,
        UNIQUE (org_id, user_id, dedupe_key)
      )`);
    await q.query(`CREATE INDEX notifications_user_idx ON notifications (org_id, user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX notifications_unread_idx ON notifications (org_id, user_id, created_at DESC, id DESC)
      WHERE read_at IS NULL`);

    await q.query(`
      CREATE TABLE webhooks (
        org_id uuid PRIMARY KEY REFERENCES organizations (id),
        url text NOT NULL CHECK (url ~ '^https?://' AND char_length(url) <= 2000),
        secret text NOT NULL CHECK (char_length(secret) BETWEEN 32 AND 200),
        active boolean NOT NULL DEFAULT true,
        updated_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES organizations (id),
        event_key text NOT NULL CHECK (char_length(event_key) <= 200),
        kind text NOT NULL CHECK (char_length(kind) <= 64),
        payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','DELIVERED','FAILED')),
        attempts int NOT NULL DEFAULT 0,
        last_status_code int,
        last_error text CHECK (char_length(last_error) <= 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        UNIQUE (org_id, event_key)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_org_idx ON webhook_deliveries (org_id, created_at DESC, id DESC)`);

    for (const t of ['outbox', 'reminders', 'notifications', 'webhooks', 'webhook_deliveries']) {
      await q.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
    }
    // The outbox is written by the organization's transactions and read only by the worker's relay.
    await q.query(`CREATE POLICY outbox_insert ON outbox FOR INSERT WITH CHECK (org_id = app_org_id())`);
    await q.query(`CREATE POLICY outbox_system ON outbox FOR SELECT USING (app_is_system())`);
    await q.query(
      `CREATE POLICY outbox_relay ON outbox FOR UPDATE USING (app_is_system()) WITH CHECK (app_is_system())`,
    );
    // Reminders: the organization's own (scheduled and cancelled by its changes), and the worker's sweep.
    await q.query(
      `CREATE POLICY reminders_read ON reminders FOR SELECT USING (org_id = app_org_id() OR app_is_system())`,
    );
    await q.query(`CREATE POLICY reminders_insert ON reminders FOR INSERT
      WITH CHECK (org_id = app_org_id() OR app_is_system())`);
    await q.query(`CREATE POLICY reminders_update ON reminders FOR UPDATE
      USING (org_id = app_org_id() OR app_is_system()) WITH CHECK (org_id = app_org_id() OR app_is_system())`);
    // A user reads and marks only their own notifications in the acting organization.
    await q.query(`CREATE POLICY notifications_read ON notifications FOR SELECT
      USING (org_id = app_org_id() AND (user_id = app_user_id() OR app_user_id() IS NULL))`);
    await q.query(`CREATE POLICY notifications_insert ON notifications FOR INSERT WITH CHECK (org_id = app_org_id())`);
    await q.query(`CREATE POLICY notifications_update ON notifications FOR UPDATE
      USING (org_id = app_org_id() AND user_id = app_user_id()) WITH CHECK (org_id = app_org_id())`);
    for (const t of ['webhooks', 'webhook_deliveries']) {
      await q.query(`CREATE POLICY ${t}_read ON ${t} FOR SELECT USING (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_insert ON ${t} FOR INSERT WITH CHECK (org_id = app_org_id())`);
      await q.query(`CREATE POLICY ${t}_update ON ${t} FOR UPDATE
        USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())`);
    }

    await q.query(`GRANT INSERT ON outbox TO tasuki_app`);
    await q.query(`GRANT SELECT (id, org_id, kind, payload, created_at, relayed_at), UPDATE (relayed_at) ON outbox
      TO tasuki_app`);
    await q.query(`GRANT SELECT, INSERT ON reminders TO tasuki_app`);
    await q.query(`GRANT UPDATE (status, enqueued_at, done_at, outcome) ON reminders TO tasuki_app`);
    await q.query(`GRANT SELECT, INSERT ON notifications TO tasuki_app`);
    await q.query(`GRANT UPDATE (read_at) ON notifications TO tasuki_app`);
    await q.query(`GRANT SELECT, INSERT ON webhooks, webhook_deliveries TO tasuki_app`);
    await q.query(`GRANT UPDATE (url, secret, active, updated_by, updated_at) ON webhooks TO tasuki_app`);
    await q.query(`GRANT UPDATE (status, attempts, last_status_code, last_error, last_attempt_at, delivered_at)
      ON webhook_deliveries TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries, webhooks, notifications, reminders, outbox`);
    await q.query(`DROP POLICY organizations_system_read ON organizations`);
    await q.query(`DROP FUNCTION app_is_system()`);
  }
}
