import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { deriveAppUrl, ensureDatabase, loadConfig, migrateDatabase, sleep, TokenService } from '@tasuki/platform';
import { findLostWrites, outcomes, runLoad, seedLoadActors, type LoadActor } from '../harness/load-driver.js';
import { redisUrl } from '../harness/postgres.js';
import { OwnPostgres } from '../harness/postgres-server.js';
import { startApiProcess } from '../harness/api-process.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { dropRedisPrefix, eventually } from '../harness/worker-fleet.js';

/**
 * PostgreSQL restarted during a load run (issue 8): the API — a real process, as production runs it — serves mixed
 * reads and writes while its own PostgreSQL is stopped (fast shutdown) and started again, then crashed (immediate
 * shutdown) and started again. Expected: requests during an outage fail fast with a typed error, never a hang or an
 * internal error; readiness reports PostgreSQL down, then up; the same process answers correctly afterwards; and
 * every write it acknowledged, before, between or after the outages, is there.
 */
describe('PostgreSQL restarted under load', () => {
  let server: OwnPostgres;
  let api: ServiceProcess;
  let url: string;
  let owner: pg.Pool;
  let actors: LoadActor[];
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await OwnPostgres.start();
    const ownerUrl = server.url('tasuki');
    await ensureDatabase(ownerUrl);
    await migrateDatabase({ ownerUrl });
    owner = new pg.Pool({ connectionString: ownerUrl, max: 3 });
    owner.on('error', () => undefined); // its idle connections die with the server
    env = {
      LOG_LEVEL: 'info',
      DATABASE_URL: ownerUrl,
      DATABASE_APP_URL: deriveAppUrl(ownerUrl),
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: `{tasuki-test-pg-restart-${randomBytes(4).toString('hex')}}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      MIGRATIONS_RUN: 'false',
    };
    const started = await startApiProcess(env);
    api = started.process;
    url = started.url;
    const config = loadConfig(env);
    const tokens = new TokenService({ ...config.jwt, secret: config.jwt.secret!, oidc: config.oidc });
    actors = await seedLoadActors(url, owner, async (id) => (await tokens.issue(id)).token, { orgs: 3 });
  }, 120_000);
  afterAll(async () => {
    await api?.kill();
    await owner?.end().catch(() => undefined);
    await server?.destroy();
    if (env) await dropRedisPrefix(env.REDIS_URL!, env.REDIS_KEY_PREFIX!);
  });

  const readiness = async () => {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: (await res.json()) as { error?: Record<string, unknown> } };
  };

  it('fails fast with a typed error while PostgreSQL is down, recovers without a restart, and loses no acknowledged write', async () => {
    const pid = api.child.pid;
    const outages: { mode: string; down: number; up: number; readyAgain: number }[] = [];
    const load = runLoad({ url, actors, seconds: 24, connections: 6, seed: 7, timeoutMs: 20_000 });
    const t0 = Date.now();
    for (const mode of ['fast', 'immediate'] as const) {
      await sleep(4000);
      const down = Date.now() - t0;
      await server.stop(mode);
      const notReady = await eventually(async () => {
        const r = await readiness();
        return r.status === 503 && r;
      }, 15_000);
      expect(Object.keys(notReady.body.error ?? {})).toEqual(['postgres']);
      await sleep(2000);
      await server.restart();
      const up = Date.now() - t0;
      await eventually(
        async () => (await readiness()).status === 200,
        15_000,
        () => api.describe(),
      );
      outages.push({ mode, down, up, readyAgain: Date.now() - t0 });
    }
    const run = await load;

    // After the second outage: a run of its own, with no error at all.
    const after = await runLoad({ url, actors, seconds: 3, connections: 6, seed: 8, timeoutMs: 20_000 });
    const counts = outcomes(run.requests);
    const failed = run.requests.filter((r) => r.outcome !== 'ok');
    console.log(
      `PostgreSQL restarted under load: ${run.requests.length} requests, ${JSON.stringify(counts)}; outages ` +
        outages.map((o) => `${o.mode} ${o.down}-${o.up} ms (ready again at ${o.readyAgain} ms)`).join(', ') +
        `; slowest failed request ${Math.max(0, ...failed.map((r) => r.ms))} ms; ` +
        `afterwards ${after.requests.length} requests, ${JSON.stringify(outcomes(after.requests))}`,
    );
    // Only a typed "unavailable" answer, never an internal error, a hang or a dropped connection.
    expect(Object.keys(counts).filter((c) => c !== 'ok' && c !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    expect(counts.SERVICE_UNAVAILABLE).toBeGreaterThan(0);
    for (const r of failed) expect(r.message).not.toMatch(/ECONNREFUSED|terminat|connection|postgres|SQL/i);
    expect(outcomes(after.requests)).toEqual({ ok: after.requests.length });
    // The same process all along.
    expect(api.running).toBe(true);
    expect(api.child.pid).toBe(pid);
    // The outage is logged as such (a few lines), never as an unhandled error.
    expect(api.logs.some((l) => l.msg.startsWith('PostgreSQL unavailable'))).toBe(true);
    expect(api.logs.filter((l) => l.msg.startsWith('unhandled error'))).toEqual([]);
    expect(run.foreignRows).toEqual([]);
    expect(await findLostWrites(url, owner, [...run.acks, ...after.acks])).toEqual([]);
  }, 120_000);
});
