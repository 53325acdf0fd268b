import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { notificationChannel, NotificationFeed, notify } from '@tasuki/domain';
import { Database, freeLoopbackPort, RedisConnection } from '@tasuki/platform';
import { LiveNotifications } from '../../apps/api/src/notifications/live-notifications.js';
import { cast, type Data } from '../harness/cast.js';
import { factories } from '../harness/factories.js';
import { referableCase } from '../harness/referral-story.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';
import { eventually, startWorker } from '../harness/worker.js';

const SUBSCRIBE = `subscription { notificationAdded { id kind subjectType subjectId message readAt createdAt } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`;
const NOTIFICATIONS = `{ notifications(first: 5) { nodes { id kind } } }`;

/** One graphql-ws client with one subscription, recording what it is sent. */
interface Live {
  received: Data[];
  errors: { message: string; extensions?: { code?: string } }[];
  closed: { code: number; reason: string } | null;
  completed: boolean;
  client: Client;
  unsubscribe: () => void;
}

/**
 * Live notifications end to end: the worker (a real child process) turns the outbox row of a referral into a
 * notification, publishes its ids on Redis after the commit, and the API pushes it over graphql-ws to the one
 * subscriber it belongs to.
 */
describe('live notifications over graphql-ws', () => {
  let api: TestApi;
  let worker: ServiceProcess;
  let apiClosed = false;
  let redis: Redis;
  const t: Record<string, string> = {};
  const u: Record<string, string> = {};
  const org: Record<string, string> = {};
  const s: Record<string, string> = {};
  const opened: Live[] = [];
  const { ok } = cast(() => api, t, org);

  function subscribe(connectionParams: Record<string, unknown>, query = SUBSCRIBE): Live {
    const live: Live = { received: [], errors: [], closed: null, completed: false } as unknown as Live;
    live.client = createClient({
      url: `${api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      on: { closed: (e) => (live.closed ??= e as { code: number; reason: string }) },
    });
    live.unsubscribe = live.client.subscribe(
      { query },
      {
        next: (v) => (v.errors ? live.errors.push(...(v.errors as never[])) : live.received.push(v.data as Data)),
        error: (e) => {
          if (Array.isArray(e)) live.errors.push(...(e as never[]));
        },
        complete: () => (live.completed = true),
      },
    );
    opened.push(live);
    return live;
  }
  const as = (who: string, organizationId?: string) => ({ authorization: `Bearer ${t[who]}`, organizationId });
  const live = () => api.app.get(LiveNotifications);
  const redisSubscriptions = async () =>
    Number(((await redis.pubsub('NUMSUB', notificationChannel(api.config.redis.keyPrefix))) as [string, number])[1]);
  /** Until the API holds `n` streams and its Redis subscription is in place. */
  const ready = (n: number) =>
    eventually(async () => live().streamCount === n && (await redisSubscriptions()) === 1, 5000);
  /** A notification written (and published) by the API process itself, through the same feed as the worker's. */
  const sentinel = (orgId: string, userId: string, kind: string, feed = api.app.get(NotificationFeed)) =>
    feed.run({ orgId, userId: null }, (tx) =>
      notify(tx, {
        orgId,
        userIds: [userId],
        kind,
        subjectType: null,
        subjectId: null,
        message: '確認用の通知です。',
        dedupeKey: `${kind}-${userId}`,
      }),
    );
  const kinds = (l: Live) => l.received.map((d) => d.notificationAdded.kind);

  beforeAll(async () => {
    api = await startTestApi();
    redis = new Redis(api.config.redis.url!);
    await referableCase(api, { t, u, org, s });
    // `dual` coordinates at the centre and also supports at Hello Work.
    const f = factories(api.db.owner);
    u.dual = (await f.member(org.centre!, ['COORDINATOR'])).id;
    await f.membership(org.hw!, u.dual, ['SUPPORTER']);
    t.dual = (await api.tokens.issue(u.dual)).token;
    worker = await startWorker(api);
  }, 60_000);
  afterAll(async () => {
    for (const l of opened) await l.client.dispose();
    await worker?.kill();
    if (!apiClosed) await api?.close();
    redis?.disconnect();
  });

  it('1. a referral reaches the recipient coordinator’s socket through outbox, worker and Redis; nobody else’s', async () => {
    const coordinator = subscribe(as('centreCoordinator', org.centre));
    const dualAtCentre = subscribe(as('dual', org.centre));
    const sameOrg = subscribe(as('centreSupporter', org.centre));
    const otherOrg = subscribe(as('hwCoordinator', org.hw));
    const dualAtHw = subscribe(as('dual', org.hw));
    // Five subscribers, one Redis subscription for the process.
    await ready(5);

    const sent = await ok('hwSupporter', SEND, {
      input: { caseId: s.case, toOrganizationId: org.centre, reason: 'MEDICAL', sharedCategories: ['IDENTITY'] },
    });
    await eventually(
      async () => coordinator.received.length > 0 && dualAtCentre.received.length > 0,
      10_000,
      () => worker.describe(),
    );
    const [stored] = (await ok('centreCoordinator', NOTIFICATIONS)).notifications.nodes;
    expect(coordinator.received).toEqual([
      {
        notificationAdded: {
          id: stored.id,
          kind: 'REFERRAL_RECEIVED',
          subjectType: 'Referral',
          subjectId: sent.sendReferral.id,
          message: 'ハローワーク渋谷から新しい紹介が届きました。',
          readAt: null,
          createdAt: expect.any(String),
        },
      },
    ]);
    expect(kinds(dualAtCentre)).toEqual(['REFERRAL_RECEIVED']);

    // A notification of their own, published after the referral's: it must be the first thing each one receives.
    await sentinel(org.centre!, u.centreSupporter!, 'CHECK_SAME_ORG');
    await sentinel(org.hw!, u.hwCoordinator!, 'CHECK_OTHER_ORG');
    await sentinel(org.hw!, u.dual!, 'CHECK_DUAL_AT_HW');
    await eventually(async () => sameOrg.received.length && otherOrg.received.length && dualAtHw.received.length, 5000);
    expect(kinds(sameOrg)).toEqual(['CHECK_SAME_ORG']);
    expect(kinds(otherOrg)).toEqual(['CHECK_OTHER_ORG']);
    expect(kinds(dualAtHw)).toEqual(['CHECK_DUAL_AT_HW']);
    expect(kinds(coordinator)).toEqual(['REFERRAL_RECEIVED']);
    expect([coordinator, dualAtCentre, sameOrg, otherOrg, dualAtHw].flatMap((l) => l.errors)).toEqual([]);
  });

  it('2. a bad, missing or expired token closes the socket with 4401; an organization not one’s own with 4403', async () => {
    const expired = (await api.tokens.issue(u.centreCoordinator!, new Date(Date.now() - 9 * 3600_000))).token;
    const refused = [
      subscribe({ authorization: 'Bearer not-a-token' }),
      subscribe({}),
      subscribe({ authorization: `Bearer ${expired}` }),
      subscribe(as('centreCoordinator', org.hw)),
    ];
    await eventually(async () => refused.every((l) => l.closed), 5000);
    expect(refused.map((l) => l.closed!.code)).toEqual([4401, 4401, 4401, 4403]);
    expect(refused.flatMap((l) => l.received)).toEqual([]);
  });

  it('3. the policy guard applies to the subscription: no acting organization is FORBIDDEN', async () => {
    // `dual` has two memberships and names neither: signed in, but no organization to read notifications in.
    const l = subscribe(as('dual'));
    await eventually(async () => l.errors.length > 0, 5000);
    expect(l.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // The connection itself was accepted: the operation completed, then the lazy client closed it normally.
    expect(l.completed).toBe(true);
    expect([undefined, 1000]).toContain(l.closed?.code);
  });

  it('4. the HTTP API’s limits and error codes apply on the socket; queries and mutations are refused there', async () => {
    const aliases = Array.from({ length: 25 }, (_, i) => `a${i}: id`).join(' ');
    const cases = [
      subscribe(as('centreCoordinator'), `subscription { notificationAdded { ${aliases} } }`),
      subscribe(as('centreCoordinator'), `subscription { notificationAdded { id `),
      subscribe(as('centreCoordinator'), `subscription { notificationAdded { nope } }`),
      subscribe(as('centreCoordinator'), `{ me { user { id } } }`),
    ];
    await eventually(async () => cases.every((l) => l.errors.length > 0), 5000);
    expect(cases.map((l) => l.errors[0]!.extensions?.code)).toEqual([
      'GRAPHQL_VALIDATION_FAILED',
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
      'BAD_REQUEST',
    ]);
    expect(cases[0]!.errors[0]!.message).toMatch(/alias/i);

    // And the other way round: a subscription sent over HTTP is refused, not run unguarded as a query.
    const overHttp = await api.post({ query: SUBSCRIBE }, { authorization: `Bearer ${t.centreCoordinator}` });
    expect(overHttp.status).toBe(400);
    expect(overHttp.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    // Upgrades are taken on /graphql only.
    const elsewhere = new WebSocket(`${api.url.replace('http', 'ws')}/elsewhere`, 'graphql-transport-ws');
    const status = await new Promise((resolve) => {
      elsewhere.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      elsewhere.on('open', () => resolve('open'));
      elsewhere.on('error', () => undefined);
    });
    expect(status).toBe(404);
  });

  it('5. each push re-checks the membership: once it has ended, the stream ends with FORBIDDEN', async () => {
    const l = subscribe(as('dual', org.hw));
    await ready(6);
    await api.db.owner.query('UPDATE memberships SET ended_at = now() WHERE user_id = $1 AND org_id = $2', [
      u.dual,
      org.hw,
    ]);
    await sentinel(org.hw!, u.dual!, 'AFTER_THE_END');
    await eventually(async () => l.errors.length > 0, 5000);
    expect(l.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(l.received).toEqual([]);
    // A new connection for that organization is refused outright.
    const again = subscribe(as('dual', org.hw));
    await eventually(async () => again.closed, 5000);
    expect(again.closed!.code).toBe(4403);
  });

  it('6. while Redis is unreachable the publish is skipped: the notification still commits', async () => {
    const down = new RedisConnection(
      { url: `redis://127.0.0.1:${await freeLoopbackPort()}` },
      api.config.redis.keyPrefix,
    );
    try {
      const feed = new NotificationFeed(api.app.get(Database), down);
      const added = await sentinel(org.centre!, u.centreCoordinator!, 'WHILE_REDIS_IS_DOWN', feed);
      expect(added).toHaveLength(1);
      const { rows } = await api.db.owner.query('SELECT kind FROM notifications WHERE id = $1', [added[0]!.id]);
      expect(rows).toEqual([{ kind: 'WHILE_REDIS_IS_DOWN' }]);
    } finally {
      await down.close();
    }
  }, 5000);

  it('7. unsubscribing and closing sockets end their streams; closing the API closes sockets and its Redis subscription', async () => {
    for (const l of opened) l.unsubscribe();
    await eventually(async () => live().streamCount === 0, 5000);
    expect(await redisSubscriptions()).toBe(1);

    const last = subscribe(as('centreCoordinator'));
    await ready(1);
    await worker.kill();
    await api.close();
    apiClosed = true;
    expect(last.closed?.code).toBe(1001);
    expect(await redisSubscriptions()).toBe(0);
  });
});
