import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { freeLoopbackPort } from '@tasuki/platform';
import { redisUrl } from '../harness/postgres.js';
import { ServiceProcess } from '../harness/service-process.js';
import { WORKER_MAIN } from '../harness/worker.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

/**
 * The worker as it runs in production: `node dist/apps/worker/src/main.js` in a process of its own, over a database
 * of its own, stopped with SIGTERM.
 */

describe('worker process', () => {
  let db: TestDatabase;
  let baseEnv: Record<string, string>;
  const started: ServiceProcess[] = [];
  const startWorker = (env: Record<string, string>) => {
    const w = new ServiceProcess(WORKER_MAIN, env);
    started.push(w);
    return w;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    baseEnv = {
      NODE_ENV: 'test',
      DATABASE_URL: db.ownerUrl,
      DATABASE_APP_URL: db.appUrl,
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: `{tasuki-test-${db.name}}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      MIGRATIONS_RUN: 'false',
      LOG_LEVEL: 'info',
    };
  });
  afterEach(async () => {
    for (const w of started.splice(0)) await w.kill();
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** The exit, with the process's output attached when it is not the expected one (for the failure message). */
  const exitOf = async (worker: ServiceProcess, timeoutMs: number) => {
    const exit = await worker.waitForExit(timeoutMs);
    return { ...exit, output: exit.code === 0 ? '' : worker.describe() };
  };

  it('reports ready, then stops cleanly with exit code 0 on SIGTERM', async () => {
    const worker = startWorker(baseEnv);
    const ready = await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('worker ready'), 25_000);
    expect(ready).toMatchObject({ app: 'worker', level: 30 });
    // The infrastructure choices are logged, with the configured URLs (passwords redacted).
    expect(worker.logs.some((l) => l.msg.startsWith('PostgreSQL: using DATABASE_URL'))).toBe(true);
    expect(worker.logs.some((l) => l.msg.startsWith('Redis: using REDIS_URL'))).toBe(true);

    worker.child.kill('SIGTERM');
    expect(await exitOf(worker, 10_000)).toEqual({ code: 0, signal: null, output: '' });
    expect(worker.logs.some((l) => l.msg.includes('shutting down') && l.signal === 'SIGTERM')).toBe(true);
    expect(worker.logs.some((l) => l.msg.includes('stopped'))).toBe(true);
    expect(worker.logs.some((l) => l.level >= 50)).toBe(false); // no error or fatal
    expect(worker.stderr).toBe('');
  }, 45_000);

  it('stops gracefully (exit code 0, "stopped" logged) on a SIGTERM that arrives while it is still booting', async () => {
    const worker = startWorker(baseEnv);
    // The first log line (the PostgreSQL choice) comes before Nest boots and before either ping.
    await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('PostgreSQL:'), 25_000);
    worker.child.kill('SIGTERM');
    expect(await exitOf(worker, 15_000)).toEqual({ code: 0, signal: null, output: '' });
    expect(worker.logs.some((l) => l.msg.includes('shutting down') && l.signal === 'SIGTERM')).toBe(true);
    expect(worker.logs.some((l) => l.msg.includes('stopped'))).toBe(true);
  }, 45_000);

  it('does not report ready without Redis: exits non-zero with a message naming Redis within 15 s', async () => {
    const closed = await freeLoopbackPort();
    const t0 = Date.now();
    const worker = startWorker({ ...baseEnv, REDIS_URL: `redis://127.0.0.1:${closed}` });
    const exit = await worker.waitForExit(15_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(worker.logs.some((l) => l.msg.includes('worker ready'))).toBe(false);
    expect(worker.stderr).toMatch(/Tasuki worker failed to start: .*Redis/);
    expect(worker.logs.some((l) => l.level === 60 && l.msg.includes('failed to start'))).toBe(true);
  }, 30_000);
});
