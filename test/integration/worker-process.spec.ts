import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { freeLoopbackPort, startRedisServer, type ResolvedRedis } from '@tasuki/platform';
import { redisUrl } from '../harness/postgres.js';
import { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';
import { WORKER_MAIN } from '../harness/worker.js';

/**
 * The worker as it runs in production: `node dist/apps/worker/src/main.js` in a process of its own, over a database
 * of its own, stopped with SIGTERM.
 */

describe('worker process', () => {
  let db: TestDatabase;
  let baseEnv: Record<string, string>;
  let redisDir: string;
  const started: ServiceProcess[] = [];
  const redisServers: ResolvedRedis[] = [];
  /** A redis-server of the test's own on a free loopback port (one the test may stop or misconfigure). */
  const ownRedis = async (args: string[] = []) => {
    const r = await startRedisServer(mkdtempSync(join(redisDir, 'r-')), () => undefined, args);
    redisServers.push(r);
    return r;
  };
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
      WORKER_HEALTH_PORT: '0',
    };
    redisDir = mkdtempSync(join(tmpdir(), 'tasuki-worker-redis-'));
  });
  afterEach(async () => {
    for (const w of started.splice(0)) await w.kill();
    for (const r of redisServers.splice(0)) await r.stop?.();
  });
  afterAll(async () => {
    await db?.drop();
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
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

  const isReady = (l: { msg: string }) => typeof l.msg === 'string' && l.msg.includes('worker ready');

  it('serves /health/live and /health/ready like the API, and names Redis (503) when its Redis stops', async () => {
    const redis = await ownRedis();
    const port = await freeLoopbackPort();
    const worker = startWorker({ ...baseEnv, REDIS_URL: redis.url, WORKER_HEALTH_PORT: String(port) });
    await worker.waitForLog(isReady, 25_000);
    expect(worker.logs.some((l) => l.msg === `worker health: http://127.0.0.1:${port}/health/{live,ready}`)).toBe(true);
    const health = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/health/${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await health('live')).toEqual({ status: 200, body: { status: 'ok', info: {}, error: {}, details: {} } });
    const up = { postgres: { status: 'up' }, redis: { status: 'up' } };
    expect(await health('ready')).toEqual({ status: 200, body: { status: 'ok', info: up, error: {}, details: up } });

    await redis.stop!();
    const down = await health('ready');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'error', info: { postgres: { status: 'up' } } });
    expect(Object.keys(down.body.error as object)).toEqual(['redis']);
    expect((down.body.error as Record<string, { status: string; message: string }>).redis).toEqual({
      status: 'down',
      message: expect.any(String),
    });
    expect((await health('live')).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/health/other`)).status).toBe(404);
  }, 45_000);

  it('refuses to start on a Redis whose maxmemory-policy evicts keys, naming the setting and the fix', async () => {
    const redis = await ownRedis(['--maxmemory-policy', 'allkeys-lru']);
    const worker = startWorker({ ...baseEnv, REDIS_URL: redis.url });
    const exit = await worker.waitForExit(25_000);
    expect(exit.code).toBe(1);
    expect(worker.logs.some(isReady)).toBe(false);
    expect(worker.stderr).toMatch(/failed to start: Redis 127\.0\.0\.1:\d+ has maxmemory-policy "allkeys-lru"/);
    expect(worker.stderr).toContain('maxmemory-policy noeviction');
  }, 30_000);

  it('reads the policy from INFO where the provider disabled CONFIG, and still refuses an evicting Redis', async () => {
    const redis = await ownRedis(['--maxmemory-policy', 'volatile-lru', '--rename-command', 'CONFIG', '""']);
    const worker = startWorker({ ...baseEnv, REDIS_URL: redis.url });
    expect((await worker.waitForExit(25_000)).code).toBe(1);
    expect(worker.stderr).toMatch(/maxmemory-policy "volatile-lru"/);
  }, 30_000);

  it('stops with a message naming WORKER_HEALTH_PORT when that port, set explicitly, is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const worker = startWorker({ ...baseEnv, WORKER_HEALTH_PORT: String(port) });
      expect((await worker.waitForExit(25_000)).code).toBe(1);
      expect(worker.stderr).toMatch(
        new RegExp(`failed to start: WORKER_HEALTH_PORT ${port} on 127.0.0.1: .*EADDRINUSE`),
      );
    } finally {
      taken.close();
    }
  }, 30_000);
});
