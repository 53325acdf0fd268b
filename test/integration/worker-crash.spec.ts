import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deliveryFigures, reminderStatuses, seedFollowUpReminders } from '../harness/due-reminders.js';
import { factories } from '../harness/factories.js';
import { redisUrl } from '../harness/postgres.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';
import { dropRedisPrefix, eventually, jobsRunAgain, startWorker, workerEnv } from '../harness/worker-fleet.js';

const REMINDERS = 2000;
const KILLS = 4;

/**
 * Exactly once under crashes (PRODUCT.md §3): two worker processes drain 2,000 due reminders while one of them is
 * killed with SIGKILL several times mid-run and restarted. A killed job's lock lapses after JOB_LOCK_MS and the
 * survivor runs it again; a killed sweep's transaction rolls back and its rows are swept again. Whatever ran
 * twice, each reminder ends DONE with exactly one notification.
 */
describe('exactly once under crashes', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let keyPrefix: string;
  const started: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    keyPrefix = `{tasuki-test-${db.name}}`;
    env = workerEnv(
      { ...db, redisUrl: redisUrl(), keyPrefix },
      // Killed jobs come back after 2 s; sweeps every second; small pools keep two workers within PostgreSQL's limits.
      {
        REMINDER_SWEEP_SECONDS: '1',
        JOB_LOCK_MS: '2000',
        OUTBOX_POLL_MS: '100',
        WORKER_CONCURRENCY: '2',
        DATABASE_POOL_SIZE: '4',
      },
    );
  });
  afterAll(async () => {
    for (const w of started) await w.kill();
    if (db) await dropRedisPrefix(redisUrl(), keyPrefix);
    await db?.drop();
  });

  const start = async () => {
    const w = await startWorker(env);
    started.push(w);
    return w;
  };

  it(`delivers ${REMINDERS} due reminders once each while a worker is SIGKILLed ${KILLS} times`, async () => {
    const f = factories(db.owner);
    const org = await f.organization();
    const assignees = await Promise.all([1, 2, 3, 4].map(() => f.member(org.id, ['SUPPORTER'])));
    // Due in an hour: nothing runs until both workers are up and the clock is moved.
    await seedFollowUpReminders(db.owner, {
      orgId: org.id,
      assigneeIds: assignees.map((a) => a.id),
      count: REMINDERS,
      dueAt: new Date(Date.now() + 3600_000),
    });
    // Each notification takes 20 ms (a slow database): the drain, fast otherwise, outlasts four kills and restarts.
    await db.owner.query(`CREATE FUNCTION slow_effect() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$`);
    await db.owner.query(
      `CREATE TRIGGER slow_effect BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION slow_effect()`,
    );
    const steady = await start();
    let victim = await start();

    const t0 = Date.now();
    await db.owner.query(`UPDATE reminders SET due_at = now() - interval '1 minute'`);
    const killedAt: number[] = [];
    let lastDone = 0;
    while (killedAt.length < KILLS) {
      // Once the drain has moved on since the last restart, at a random moment: in the middle of jobs or a sweep.
      const { DONE } = await eventually(
        async () => {
          const s = await reminderStatuses(db.owner);
          return (s.DONE >= lastDone + 100 || s.DONE === REMINDERS) && s;
        },
        20_000,
        () => `${steady.describe()}\n${victim.describe()}`,
        20,
      );
      if (DONE === REMINDERS) break;
      await new Promise((r) => setTimeout(r, Math.random() * 200));
      await victim.kill();
      lastDone = DONE;
      killedAt.push(DONE);
      victim = await start();
    }
    const statuses = await eventually(
      async () => {
        const s = await reminderStatuses(db.owner);
        return s.DONE === REMINDERS && s;
      },
      40_000,
      () => `${steady.describe()}\n${victim.describe()}`,
    );
    const seconds = (Date.now() - t0) / 1000;
    const figures = await deliveryFigures(db.owner, 'FOLLOW_UP_DUE');
    const runAgain = await jobsRunAgain(redisUrl(), keyPrefix, 'effects');
    console.log(
      `exactly once under crashes: ${REMINDERS} reminders, 2 workers, SIGKILL ${killedAt.length}× ` +
        `(at ${killedAt.join(', ')} done), all DONE in ${seconds.toFixed(1)} s; ` +
        `${runAgain} jobs run again after a kill; ` +
        `${figures.notifications} notifications, ${figures.duplicated} duplicated, ${figures.missing} missing`,
    );

    // The kills happened while there was work left, or the test proved nothing.
    expect(killedAt.length).toBe(KILLS);
    expect(killedAt.every((done) => done < REMINDERS)).toBe(true);
    // Some jobs died with their worker and ran again: the case exactly once is about.
    expect(runAgain).toBeGreaterThan(0);
    expect(statuses).toEqual({ PENDING: 0, ENQUEUED: 0, DONE: REMINDERS });
    expect(figures).toEqual({ reminders: REMINDERS, notifications: REMINDERS, duplicated: 0, missing: 0 });
    const { rows } = await db.owner.query(
      `SELECT outcome, count(*)::int AS n FROM reminders GROUP BY outcome ORDER BY outcome`,
    );
    expect(rows).toEqual([{ outcome: 'assignees notified', n: REMINDERS }]);
    // Each assignee got one notification per case of theirs: no reminder went to two people.
    const perUser = await db.owner.query(
      `SELECT count(*)::int AS n FROM notifications n
         JOIN reminders r ON n.dedupe_key = 'reminder-' || r.id
         JOIN follow_ups f ON f.id = r.subject_id
         JOIN case_assignments a ON a.case_id = f.case_id AND a.user_id = n.user_id`,
    );
    expect(perUser.rows[0].n).toBe(REMINDERS);
  }, 90_000);
});
