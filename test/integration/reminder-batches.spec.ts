import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reminderBatches } from '@tasuki/domain';
import { deliveryFigures, reminderStatuses, seedFollowUpReminders } from '../harness/due-reminders.js';
import { factories } from '../harness/factories.js';
import { redisUrl } from '../harness/postgres.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';
import { dropRedisPrefix, eventually, startWorker, workerEnv } from '../harness/worker-fleet.js';

describe('reminder batches', () => {
  it('cuts a claim into runs of one organization each, named by their ids', () => {
    const due = [
      ...Array.from({ length: 120 }, (_, i) => ({ id: `a${i}`, orgId: 'A' })),
      { id: 'b0', orgId: 'B' },
      { id: 'a120', orgId: 'A' },
    ];
    const batches = reminderBatches(due, 50);
    expect(batches.map((b) => [b.orgId, b.ids.length])).toEqual([
      ['A', 50],
      ['A', 50],
      ['A', 21],
      ['B', 1],
    ]);
    expect(batches[2]!.ids.at(-1)).toBe('a120');
    // The same claim swept again makes the same jobs.
    expect(reminderBatches(due, 50).map((b) => b.key)).toEqual(batches.map((b) => b.key));
    expect(new Set(batches.map((b) => b.key)).size).toBe(4);
  });

  /**
   * One reminder whose effect fails rolls its whole batch back: the batch then becomes one job per reminder, so the
   * others are delivered at once and the failing one is retried alone until it succeeds.
   */
  describe('with a worker process', () => {
    let db: TestDatabase;
    let worker: ServiceProcess | undefined;
    const keyPrefix = () => `{tasuki-test-${db.name}}`;

    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await worker?.kill();
      if (db) await dropRedisPrefix(redisUrl(), keyPrefix());
      await db?.drop();
    });

    it('a failing effect holds back no other reminder of its batch, and is delivered once it can be', async () => {
      const f = factories(db.owner);
      const org = await f.organization();
      const assignee = await f.member(org.id, ['SUPPORTER']);
      await seedFollowUpReminders(db.owner, {
        orgId: org.id,
        assigneeIds: [assignee.id],
        count: 120,
        dueAt: new Date(Date.now() - 60_000),
      });
      const { rows } = await db.owner.query<{ id: string }>('SELECT id FROM reminders ORDER BY due_at, id OFFSET 60');
      const poisoned = rows[0]!.id;
      // The notification of one reminder fails (as a bug or a bad row would) until the trigger is dropped.
      await db.owner.query(`CREATE FUNCTION fail_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.dedupe_key = 'reminder-${poisoned}' THEN RAISE EXCEPTION 'this effect fails'; END IF; RETURN NEW;
      END $$`);
      await db.owner.query(
        `CREATE TRIGGER fail_one BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION fail_one()`,
      );

      worker = await startWorker(
        workerEnv({ ...db, redisUrl: redisUrl(), keyPrefix: keyPrefix() }, { REMINDER_SWEEP_SECONDS: '1' }),
      );
      await eventually(
        async () => (await reminderStatuses(db.owner)).DONE === 119,
        20_000,
        () => worker!.describe(),
      );
      expect(worker.logs.some((l) => l.msg.includes('reminder batch failed'))).toBe(true);
      await eventually(
        async () => worker!.logs.some((l) => l.msg === 'job failed' && l.jobId === `reminder-${poisoned}`),
        10_000,
      );
      const { rows: held } = await db.owner.query('SELECT status FROM reminders WHERE id = $1', [poisoned]);
      expect(held[0].status).toBe('ENQUEUED');

      await db.owner.query('DROP TRIGGER fail_one ON notifications');
      // Its own job's next attempt (exponential backoff from 1 s) delivers it.
      await eventually(
        async () => (await reminderStatuses(db.owner)).DONE === 120,
        30_000,
        () => worker!.describe(),
      );
      expect(await deliveryFigures(db.owner, 'FOLLOW_UP_DUE')).toEqual({
        reminders: 120,
        notifications: 120,
        duplicated: 0,
        missing: 0,
      });
    }, 60_000);
  });
});
