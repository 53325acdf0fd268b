import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row remembers when its effect ran (`processed_at`, set in the effect's own transaction). A row relayed
 * but never processed — its job lost when Redis restarted without its data — is relayed again (same job id) after
 * a while, or as soon as the worker sees Redis come back: the outbox then loses nothing, like the reminders.
 */
export class OutboxProcessed1764150000000 implements MigrationInterface {
  name = 'OutboxProcessed1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN processed_at timestamptz`);
    // Rows relayed before this column existed are taken as processed: not relayed again all at once.
    await q.query(`UPDATE outbox SET processed_at = relayed_at WHERE relayed_at IS NOT NULL`);
    await q.query(`CREATE INDEX outbox_unprocessed_idx ON outbox (relayed_at) WHERE processed_at IS NULL`);
    await q.query(`GRANT SELECT (processed_at), UPDATE (processed_at) ON outbox TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN processed_at`);
  }
}
