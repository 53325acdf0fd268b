import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freeLoopbackPort } from '@tasuki/platform';
import { startTestApi, type TestApi } from '../harness/test-api.js';

describe('health endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers liveness and readiness with PostgreSQL and Redis up, without a token', async () => {
    const live = await fetch(`${api.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    // The worker's /health/ready answers the same body (test/integration/worker-process.spec.ts).
    const up = { postgres: { status: 'up' }, redis: { status: 'up' } };
    expect(await ready.json()).toEqual({ status: 'ok', info: up, error: {}, details: up });
    expect(await live.json()).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
  });

  it('carries a request id: the caller’s when well-formed, a fresh one otherwise', async () => {
    const given = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'req-123' } });
    expect(given.headers.get('x-request-id')).toBe('req-123');
    const odd = await fetch(`${api.url}/health/live`, { headers: { 'x-request-id': 'bad id\twith tab' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('readiness with Redis unreachable', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${await freeLoopbackPort()}` });
  });
  afterAll(() => api.close());

  it('reports not ready (503) and names Redis, while liveness stays up', async () => {
    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { error: Record<string, unknown>; info: Record<string, unknown> };
    expect(Object.keys(body.error)).toEqual(['redis']);
    expect(body.info).toMatchObject({ postgres: { status: 'up' } });
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
  });
});
