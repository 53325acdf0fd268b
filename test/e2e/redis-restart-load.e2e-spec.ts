import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep } from '@tasuki/platform';
import {
  findLostWrites,
  outcomes,
  runLoad,
  seedLoadActors,
  type LoadActor,
  outlastClientKeepAlive,
} from '../harness/load-driver.js';
import { OwnRedis } from '../harness/redis-server.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';
import { dropRedisPrefix } from '../harness/worker-fleet.js';

/**
 * Redis killed and restarted empty in the middle of a load run (the gap redis-outage.e2e-spec.ts leaves: it writes
 * one client at a time). The API's reads and writes never wait on Redis: every request of the run succeeds and
 * every acknowledged write is there afterwards. (Delivery of their effects once Redis is back is
 * redis-outage.e2e-spec.ts's part.)
 */
describe('Redis restarted under load', () => {
  let redis: OwnRedis;
  let api: TestApi;
  let actors: LoadActor[];

  beforeAll(async () => {
    redis = await OwnRedis.start();
    api = await startTestApi({ REDIS_URL: redis.url });
    outlastClientKeepAlive(api.app.getHttpServer());
    actors = await seedLoadActors(api.url, api.db.owner, async (id) => (await api.tokens.issue(id)).token, {
      orgs: 3,
    });
  }, 60_000);
  afterAll(async () => {
    if (redis) await dropRedisPrefix(redis.url, api.config.redis.keyPrefix).catch(() => undefined);
    await api?.close();
    await redis?.stop();
  });

  it('answers every request and loses no acknowledged write while Redis is killed and restarted empty', async () => {
    const load = runLoad({ url: api.url, actors, seconds: 8, connections: 6, seed: 3, timeoutMs: 10_000 });
    await sleep(2000);
    await redis.kill();
    await sleep(3000);
    await redis.restart({ fresh: true });
    const run = await load;
    const counts = outcomes(run.requests);
    console.log(`Redis restarted under load: ${run.requests.length} requests, ${JSON.stringify(counts)}`);
    expect(counts).toEqual({ ok: run.requests.length });
    expect(run.foreignRows).toEqual([]);
    expect(await findLostWrites(api.url, api.db.owner, run.acks)).toEqual([]);
  }, 60_000);
});
