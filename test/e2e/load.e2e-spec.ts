import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  findLostWrites,
  outcomes,
  percentile,
  runLoad,
  seedLoadActors,
  type LoadActor,
  outlastClientKeepAlive,
} from '../harness/load-driver.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

/**
 * The load benchmark (test/bench/load.bench.ts) at CI size: 300 mixed reads and writes (a count, not a time) by several users
 * of several organizations. Every request succeeds, every acknowledged write is found afterwards through the API and
 * in the database, and no answer holds another organization's client. No timing is asserted.
 */
describe('mixed load, CI size', () => {
  let api: TestApi;
  let actors: LoadActor[];

  beforeAll(async () => {
    api = await startTestApi({ DATABASE_POOL_SIZE: '4' });
    outlastClientKeepAlive(api.app.getHttpServer());
    actors = await seedLoadActors(api.url, api.db.owner, async (id) => (await api.tokens.issue(id)).token, {
      orgs: 3,
    });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('answers every one of 300 mixed requests at 6 connections, and loses no acknowledged write', async () => {
    const run = await runLoad({ url: api.url, actors, seconds: 0, requests: 300, connections: 6, seed: 1 });
    const counts = outcomes(run.requests);
    console.log(
      `load (CI size): ${run.requests.length} requests, ${run.acks.length} acknowledged writes, ` +
        `p50 ${percentile(run.requests, 50)} ms, p99 ${percentile(run.requests, 99)} ms, ${JSON.stringify(counts)}`,
    );
    expect(counts).toEqual({ ok: run.requests.length });
    expect(run.foreignRows).toEqual([]);
    expect(new Set(run.acks.map((a) => a.kind))).toEqual(
      new Set(['timeline', 'client', 'consent', 'referral', 'placement', 'followUp']),
    );
    expect(await findLostWrites(api.url, api.db.owner, run.acks)).toEqual([]);
  }, 60_000);
});
