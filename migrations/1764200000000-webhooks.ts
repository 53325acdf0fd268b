import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook deliveries get a lease: an attempt claims its delivery in a short transaction (`lease_until` = now + the
 * HTTP timeout + a margin) and records the outcome in another, so no transaction stays open across the POST, and a
 * second job for the same delivery (a redelivered or re-added job) finds the lease and does not POST in parallel.
 * A worker that dies mid-attempt leaves a lease that simply runs out.
 */
export class Webhooks1764200000000 implements MigrationInterface {
  name = 'Webhooks1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN lease_until timestamptz`);
    await q.query(`ALTER TABLE webhook_deliveries
      ADD CONSTRAINT webhook_deliveries_delivered_at CHECK ((status = 'DELIVERED') <= (delivered_at IS NOT NULL))`);
    await q.query(`GRANT UPDATE (lease_until) ON webhook_deliveries TO tasuki_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE (lease_until) ON webhook_deliveries FROM tasuki_app`);
    await q.query(`ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_delivered_at`);
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN lease_until`);
  }
}
