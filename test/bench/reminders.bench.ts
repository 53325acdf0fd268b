/**
 * PRODUCT.md §4: 100,000 due reminders delivered by two worker processes in under 60 s, none twice. Seeds N
 * FOLLOW_UP_DUE reminders (each notifies one assignee) in a database of its own, starts two workers
 * (`node dist/apps/worker/src/main.js`, the sweep every second instead of every minute so that the wait for the first
 * sweep is not measured), makes every reminder due at once and measures until all are DONE.
 *
 *   npm run bench:reminders                      (default: 5,000 reminders)
 *   npm run bench:reminders -- --count 100000
 *
 * Prints the command, the seconds to all ENQUEUED (the sweep) and to all DONE (the drain), the rate, the CPU
 * seconds of the workers and of their PostgreSQL backends, and the duplicates and missing notifications found (both
 * must be 0; the exit code is 1 otherwise).
 */
import { parseArgs } from 'node:util';
import globalSetup from '../harness/global-setup.js';
import { deliveryFigures, reminderStatuses, seedFollowUpReminders } from '../harness/due-reminders.js';
import { factories } from '../harness/factories.js';
import { redisUrl } from '../harness/postgres.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase } from '../harness/test-database.js';
import { dropRedisPrefix, startWorker, workerEnv } from '../harness/worker-fleet.js';
import { cpuSeconds } from './process-cpu.js';
import { machine } from './seeded-database.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '5000' }, workers: { type: 'string', default: '2' } },
});
const count = Number(values.count);
const workerCount = Number(values.workers);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(workerCount) || workerCount < 1) {
  throw new Error('usage: npm run bench:reminders -- [--count N] [--workers W]');
}
const command = `npm run bench:reminders -- --count ${count}${workerCount === 2 ? '' : ` --workers ${workerCount}`}`;

await globalSetup();
const db = await createTestDatabase();
const keyPrefix = `{tasuki-bench-${db.name}}`;
const workers: ServiceProcess[] = [];
try {
  const f = factories(db.owner);
  const org = await f.organization();
  const assignees = await Promise.all(Array.from({ length: 20 }, () => f.member(org.id, ['SUPPORTER'])));
  let t = performance.now();
  await seedFollowUpReminders(db.owner, {
    orgId: org.id,
    assigneeIds: assignees.map((a) => a.id),
    count,
    dueAt: new Date(Date.now() + 3600_000),
  });
  await db.owner.query('VACUUM ANALYZE');
  console.log(`seeded ${count} placed cases with a follow-up reminder in ${s(t)}`);

  const env = workerEnv({ ...db, redisUrl: redisUrl(), keyPrefix }, { REMINDER_SWEEP_SECONDS: '1' });
  for (let i = 0; i < workerCount; i++) workers.push(await startWorker(env));

  t = performance.now();
  await db.owner.query(`UPDATE reminders SET due_at = now() - interval '1 minute'`);
  let enqueued: string | undefined;
  for (;;) {
    const st = await reminderStatuses(db.owner);
    if (!enqueued && st.PENDING === 0) enqueued = s(t);
    if (st.DONE === count) break;
    for (const w of workers) if (!w.running) throw new Error(`a worker died.\n${w.describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t) / 1000;
  // Where the time went: CPU seconds of the worker processes (boot included) and of their PostgreSQL backends.
  const backends = await db.owner.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = 'tasuki_app'`,
    [db.name],
  );
  const workerCpu = workers.map((w) => cpuSeconds(w.child.pid!));
  const postgresCpu = backends.rows.reduce((sum, b) => sum + cpuSeconds(b.pid), 0);
  const figures = await deliveryFigures(db.owner, 'FOLLOW_UP_DUE');
  console.log(`\n${command}`);
  console.log(`  reminders:                 ${count}`);
  console.log(`  worker processes:          ${workerCount} (WORKER_CONCURRENCY 8 each, sweep every 1 s)`);
  console.log(`  all swept (ENQUEUED):      ${enqueued}`);
  console.log(`  all delivered (DONE):      ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s)`);
  console.log(`  CPU, worker processes:     ${workerCpu.map((c) => c.toFixed(1)).join(' + ')} s (boot included)`);
  console.log(`  CPU, their PostgreSQL:     ${postgresCpu.toFixed(1)} s (${backends.rowCount} backends)`);
  console.log(`  notifications:             ${figures.notifications}`);
  console.log(`  duplicates found:          ${figures.duplicated}`);
  console.log(`  missing:                   ${figures.missing}`);
  console.log(`  ${machine()}`);
  console.log(`\nrepeat: ${command}`);
  if (figures.duplicated || figures.missing || figures.notifications !== count) process.exitCode = 1;
} finally {
  for (const w of workers) {
    w.child.kill('SIGTERM');
    await w.waitForExit(30_000).catch(() => w.kill());
  }
  await dropRedisPrefix(redisUrl(), keyPrefix);
  await db.drop();
}

function s(since: number) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
