import { resolve } from 'node:path';
import { ServiceProcess } from './service-process.js';
import type { TestApi } from './test-api.js';

export const WORKER_MAIN = resolve(process.cwd(), 'dist/apps/worker/src/main.js');

/**
 * A worker as production runs it (`node dist/apps/worker/src/main.js`), over a test API's database, Redis (server or
 * cluster) and key prefix, sweeping every second, without health endpoints unless `env` asks for them; resolves once
 * it reports ready.
 */
export async function startWorker(api: TestApi, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const worker = new ServiceProcess(WORKER_MAIN, {
    NODE_ENV: 'test',
    DATABASE_URL: api.db.ownerUrl,
    DATABASE_APP_URL: api.db.appUrl,
    REDIS_URL: api.config.redis.url ?? '',
    REDIS_CLUSTER_NODES: api.config.redis.clusterNodes?.join(',') ?? '',
    REDIS_KEY_PREFIX: api.config.redis.keyPrefix,
    JWT_SECRET: api.config.jwt.secret!,
    MIGRATIONS_RUN: 'false',
    LOG_LEVEL: 'info',
    REMINDER_SWEEP_SECONDS: '1',
    OUTBOX_POLL_MS: '100',
    WORKER_HEALTH_PORT: '0',
    ...env,
  });
  await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('worker ready'), 30_000);
  return worker;
}

/** Polls until `check` returns a truthy value (the worker is another process); `describe` says what went wrong. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  describe: () => string = () => '',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms.\n${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
