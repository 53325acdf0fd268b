import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reminderStatuses, seedFollowUpReminders } from '../harness/due-reminders.js';
import { factories } from '../harness/factories.js';
import { redisUrl } from '../harness/postgres.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';
import { dropRedisPrefix, eventually, startWorker, workerEnv } from '../harness/worker-fleet.js';

/**
 * Graceful shutdown (issue 5): SIGTERM lets the jobs that are running finish before the worker exits. A trigger
 * makes each notification take a second, the worker is stopped while its batch is running, and the batch it had
 * started still ends DONE, its notifications written, before the process exits with 0.
 */
describe('worker shutdown', () => {
  let db: TestDatabase;
  let keyPrefix: string;
  let worker: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    keyPrefix = `{tasuki-test-${db.name}}`;
  });
  afterAll(async () => {
    await worker?.kill();
    if (db) await dropRedisPrefix(redisUrl(), keyPrefix);
    await db?.drop();
  });

  it('lets a running job finish on SIGTERM, then exits with 0', async () => {
    const f = factories(db.owner);
    const org = await f.organization();
    const assignee = await f.member(org.id, ['SUPPORTER']);
    await db.owner.query(`CREATE FUNCTION slow_effect() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$`);
    await db.owner.query(
      `CREATE TRIGGER slow_effect BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION slow_effect()`,
    );
    await seedFollowUpReminders(db.owner, { orgId: org.id, assigneeIds: [assignee.id], count: 3, dueAt: new Date() });
    worker = await startWorker(
      workerEnv({ ...db, redisUrl: redisUrl(), keyPrefix }, { REMINDER_SWEEP_SECONDS: '1', OUTBOX_POLL_MS: '100' }),
    );
    // The batch is running: its transaction is inside the slow trigger.
    await eventually(async () => {
      const { rows } = await db.owner.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%INSERT INTO notifications%'
            AND state = 'active' AND pid <> pg_backend_pid()`,
        [db.name],
      );
      return rows[0].n > 0;
    }, 20_000);
    worker.child.kill('SIGTERM');
    const exit = await worker.waitForExit(30_000);
    expect(exit.code).toBe(0);
    // What it had started, it finished: every reminder of that batch is DONE with its notification.
    const statuses = await reminderStatuses(db.owner);
    expect(statuses.DONE).toBe(3);
    const { rows } = await db.owner.query(`SELECT count(*)::int AS n FROM notifications`);
    expect(rows[0].n).toBe(3);
  }, 60_000);
});
