import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sweep's two claims get an index each. One index over PENDING and ENQUEUED reminders made every pass of a long
 * sweep walk past the rows the previous passes had just enqueued (100,000 due reminders: each batch of 1,000 read
 * further into the index than the last). PENDING ones are now claimed in due order from an index of their own; the
 * ENQUEUED ones whose job may have been lost are found by the time they were enqueued.
 */
export class RemindersSweepIndexes1764160000000 implements MigrationInterface {
  name = 'RemindersSweepIndexes1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX reminders_pending_idx ON reminders (due_at, id) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX reminders_enqueued_idx ON reminders (enqueued_at) WHERE status = 'ENQUEUED'`);
    await q.query(`DROP INDEX reminders_due_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX reminders_due_idx ON reminders (due_at) WHERE status IN ('PENDING','ENQUEUED')`);
    await q.query(`DROP INDEX reminders_enqueued_idx`);
    await q.query(`DROP INDEX reminders_pending_idx`);
  }
}
