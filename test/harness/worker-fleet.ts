import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { ServiceProcess, type LogLine } from './service-process.js';

export const WORKER_MAIN = resolve(process.cwd(), 'dist/apps/worker/src/main.js');

export const workerReady = (l: LogLine) => typeof l.msg === 'string' && l.msg.includes('worker ready');

/** The environment of a worker process over a database and a Redis key prefix of the test's own. */
export function workerEnv(
  o: { ownerUrl: string; appUrl: string; redisUrl: string; keyPrefix: string; jwtSecret?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: o.ownerUrl,
    DATABASE_APP_URL: o.appUrl,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.keyPrefix,
    JWT_SECRET: o.jwtSecret ?? randomBytes(32).toString('hex'),
    MIGRATIONS_RUN: 'false',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Starts `node dist/apps/worker/src/main.js` and resolves once it reports ready. */
export async function startWorker(env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  const worker = new ServiceProcess(WORKER_MAIN, env);
  try {
    await worker.waitForLog(workerReady, timeoutMs);
  } catch (err) {
    await worker.kill();
    throw err;
  }
  return worker;
}

/** Polls until `check` returns a truthy value, or throws after `timeoutMs` with `describe()` in the message. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  describe: () => string = () => '',
  intervalMs = 200,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms.\n${describe()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Removes every key under a test's BullMQ prefix (its jobs would otherwise stay in the shared Redis for a day). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** How many completed jobs of a queue were started more than once (run again after their worker died). */
export async function jobsRunAgain(url: string, prefix: string, queue: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const ids = await redis.zrange(`${prefix}:${queue}:completed`, 0, -1);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(`${prefix}:${queue}:${id}`, 'ats', 'stc');
    const results = (await pipeline.exec()) ?? [];
    return results.filter(([, v]) => {
      const [ats, stc] = (v as (string | null)[]).map(Number);
      return ats! > 1 || stc! > 0;
    }).length;
  } finally {
    redis.disconnect();
  }
}
