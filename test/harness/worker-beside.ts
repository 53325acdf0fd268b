import { resolve } from 'node:path';
import { ServiceProcess } from './service-process.js';
import type { TestApi } from './test-api.js';

export const WORKER_MAIN = resolve(process.cwd(), 'dist/apps/worker/src/main.js');

/**
 * The worker as a real child process beside a test API: the same database, Redis prefix and secret, a sweep every
 * second and a quick outbox relay. Resolves once it says it is ready.
 */
export async function startWorkerBeside(api: TestApi, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const worker = new ServiceProcess(WORKER_MAIN, {
    NODE_ENV: 'test',
    DATABASE_URL: api.db.ownerUrl,
    DATABASE_APP_URL: api.db.appUrl,
    REDIS_URL: api.config.redis.url!,
    REDIS_KEY_PREFIX: api.config.redis.keyPrefix,
    JWT_SECRET: api.config.jwt.secret!,
    MIGRATIONS_RUN: 'false',
    LOG_LEVEL: 'info',
    REMINDER_SWEEP_SECONDS: '1',
    OUTBOX_POLL_MS: '100',
    ...env,
  });
  await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('worker ready'), 30_000);
  return worker;
}

/** Polls until `check` returns a value (the worker is another process); on timeout, shows the worker's output. */
export async function eventually<T>(
  worker: ServiceProcess,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms.\n${worker.describe()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
