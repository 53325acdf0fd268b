import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freeLoopbackPort } from '@tasuki/platform';
import { adminSessionCookie } from '../../apps/api/src/auth/admin-session.js';
import { factories } from '../harness/factories.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

/**
 * The queue dashboard (@bull-board at /admin/queues) is the platform operator's: with their bearer token, or with
 * the short-lived cookie POST /admin/session gives for it. Anyone else gets 401/403 and no queue data.
 */
describe('queue dashboard', () => {
  let api: TestApi;
  const t: Record<string, string> = {};

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, { headers, redirect: 'manual' });
  const bearer = (who: string) => ({ authorization: `Bearer ${t[who]}` });
  /** The cookie a browser would send back after POST /admin/session. */
  const openSession = async (who: string) => {
    const res = await fetch(`${api.url}/admin/session`, { method: 'POST', headers: bearer(who) });
    return { res, cookie: res.headers.get('set-cookie') };
  };

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    const operator = await f.user({ operator: true });
    t.operator = (await api.tokens.issue(operator.id)).token;
    const org = await f.organization({ name: 'ハローワーク品川', kind: 'HELLO_WORK' });
    t.coordinator = (await api.tokens.issue((await f.member(org.id, ['COORDINATOR'])).id)).token;
    t.admin = (await api.tokens.issue((await f.member(org.id, ['ORG_ADMIN'])).id)).token;
  });
  afterAll(() => api?.close());

  it('shows the operator the worker’s queues with their bearer token', async () => {
    const res = await get('/admin/queues/api/queues', bearer('operator'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['effects', 'reports', 'system']);
    const page = await get('/admin/queues', bearer('operator'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
    const script = /src="(static\/js\/main\.[\w.]+\.js)"/.exec(html)![1];
    expect((await get(`/admin/queues/${script}`, bearer('operator'))).status).toBe(200);
    expect((await get(`/admin/queues/${script}`)).status).toBe(401);
  });

  it('refuses a coordinator, an organization admin and a caller without a token, with no queue data', async () => {
    for (const who of ['coordinator', 'admin']) {
      const res = await get('/admin/queues/api/queues', bearer(who));
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain('effects');
    }
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await get(path);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('effects');
    }
    expect((await get('/admin/queues/api/queues', { authorization: 'Bearer not-a-token' })).status).toBe(401);
  });

  it('gives the operator a short-lived HttpOnly, SameSite=Strict cookie on /admin that opens the dashboard', async () => {
    const { res, cookie } = await openSession('operator');
    expect(res.status).toBe(204);
    expect(cookie).toMatch(/^tasuki_admin=[\w-]+\.[\w-]+\.[\w-]+; /);
    expect(cookie).toContain('Max-Age=900');
    expect(cookie).toContain('Path=/admin');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure'); // outside production: plain-HTTP development
    const sent = cookie!.split(';')[0]!;
    const listed = await get('/admin/queues/api/queues', { cookie: sent });
    expect(listed.status).toBe(200);
    expect((await get('/admin/queues', { cookie: `other=1; ${sent}` })).status).toBe(200);
  });

  it('marks the cookie Secure in production', () => {
    expect(adminSessionCookie('x', 900, true)).toBe(
      'tasuki_admin=x; Max-Age=900; Path=/admin; HttpOnly; SameSite=Strict; Secure',
    );
  });

  it('gives no cookie to anyone but the operator, and the cookie alone neither renews itself nor calls the API', async () => {
    const refused = await openSession('coordinator');
    expect(refused.res.status).toBe(403);
    expect(refused.cookie).toBeNull();
    expect((await fetch(`${api.url}/admin/session`, { method: 'POST' })).status).toBe(401);

    const { cookie } = await openSession('operator');
    const sent = cookie!.split(';')[0]!;
    const renew = await fetch(`${api.url}/admin/session`, { method: 'POST', headers: { cookie: sent } });
    expect(renew.status).toBe(401);
    const asBearer = await api.gql('{ me { user { id } } }', {}, { token: sent.slice('tasuki_admin='.length) });
    expect(asBearer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Nor does an API token pass for a cookie.
    expect((await get('/admin/queues/api/queues', { cookie: `tasuki_admin=${t.operator}` })).status).toBe(401);
  });

  it('lets the operator retry but not empty a queue or add a job; signing out clears the cookie', async () => {
    const empty = await fetch(`${api.url}/admin/queues/api/queues/effects/empty`, {
      method: 'PUT',
      headers: bearer('operator'),
    });
    expect(empty.status).toBe(405);
    const add = await fetch(`${api.url}/admin/queues/api/queues/effects/add`, {
      method: 'POST',
      headers: { ...bearer('operator'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'outbox', data: {} }),
    });
    expect(add.status).toBe(405);
    const retry = await fetch(`${api.url}/admin/queues/api/queues/effects/retry/failed`, {
      method: 'PUT',
      headers: bearer('operator'),
    });
    expect(retry.status).toBe(200);
    const coordinatorRetry = await fetch(`${api.url}/admin/queues/api/queues/effects/retry/failed`, {
      method: 'PUT',
      headers: bearer('coordinator'),
    });
    expect(coordinatorRetry.status).toBe(403);

    const out = await fetch(`${api.url}/admin/session`, { method: 'DELETE' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^tasuki_admin=; Max-Age=0; Path=\/admin/);
  });
});

describe('queue dashboard with Redis unreachable', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${await freeLoopbackPort()}` });
  });
  afterAll(() => api?.close());

  it('answers 503 at once, saying Redis does not answer, instead of hanging', async () => {
    const operator = await factories(api.db.owner).user({ operator: true });
    const t0 = Date.now();
    const res = await fetch(`${api.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${(await api.tokens.issue(operator.id)).token}` },
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      code: 'REDIS_UNAVAILABLE',
      message: 'Redis が応答しないため、キューを表示できません。',
      detail: expect.any(String),
    });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
