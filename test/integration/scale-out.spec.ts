import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import { Cluster, Redis } from 'ioredis';
import WebSocket from 'ws';
import { notificationChannel } from '@tasuki/domain';
import { loadConfig, TokenService } from '@tasuki/platform';
import { startApiProcess, type ApiProcess } from '../harness/api-process.js';
import type { Data } from '../harness/cast.js';
import { deliveryFigures, reminderStatuses, seedFollowUpReminders } from '../harness/due-reminders.js';
import { factories } from '../harness/factories.js';
import { redisUrl } from '../harness/postgres.js';
import { redisServerOnPath, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';
import { dropRedisPrefix, eventually, startWorker, workerEnv } from '../harness/worker-fleet.js';

const ORGS = 4;
const REMINDERS_PER_ORG = 500;
const ROUNDS = 10;
const LIVE_REFERRALS = 6;

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const CASE = `query($id: ID!) {
  case(id: $id) { id status client { id familyName } timeline(first: 50) { nodes { id summary } } }
}`;
const CASES = `{ cases(first: 1) { totalCount nodes { id } } }`;
const ADD_ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id status } }`;
const INCOMING = `{ referrals(direction: INCOMING, first: 50) { nodes { id status } } }`;
const REFERRAL = `query($id: ID!) { referral(id: $id) { id status toCase { id } } }`;
const ACCEPT = `mutation($id: ID!, $assignee: ID) { acceptReferral(id: $id, assigneeId: $assignee) { id status toCase { id } } }`;
const DECLINE = `mutation($id: ID!) { declineReferral(id: $id, code: NO_CAPACITY, reason: "受入枠がありません") { id status } }`;
const NOTIFICATIONS = `query($unread: Boolean) {
  notifications(first: 50, unreadOnly: $unread) { nodes { id kind subjectId readAt } }
}`;
const MARK_READ = `mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }`;
const SUBSCRIBE = `subscription { notificationAdded { id kind subjectId } }`;

type RedisTarget = { url: string } | { cluster: RedisCluster };

/** Two API processes and two workers over one database and one Redis (server or cluster), under one key prefix. */
interface Fleet {
  db: TestDatabase;
  keyPrefix: string;
  apis: ApiProcess[];
  workers: ServiceProcess[];
  tokens: TokenService;
  /** The test's own connection to the same Redis, for checks behind the services. */
  redis: Redis | Cluster;
  stop(): Promise<void>;
}

async function startFleet(target: RedisTarget): Promise<Fleet> {
  const db = await createTestDatabase();
  const keyPrefix = `{tasuki-test-${db.name}}`;
  const jwtSecret = randomBytes(32).toString('hex');
  const redisEnv =
    'url' in target
      ? { REDIS_URL: target.url, REDIS_CLUSTER_NODES: '' }
      : { REDIS_URL: '', REDIS_CLUSTER_NODES: target.cluster.nodes.join(',') };
  const apiEnv = {
    DATABASE_URL: db.ownerUrl,
    DATABASE_APP_URL: db.appUrl,
    DATABASE_POOL_SIZE: '4',
    REDIS_KEY_PREFIX: keyPrefix,
    JWT_SECRET: jwtSecret,
    MIGRATIONS_RUN: 'false',
    LOG_LEVEL: 'info',
    ...redisEnv,
  };
  const wEnv = workerEnv(
    { ...db, redisUrl: redisEnv.REDIS_URL, keyPrefix, jwtSecret },
    {
      ...redisEnv,
      REMINDER_SWEEP_SECONDS: '1',
      OUTBOX_POLL_MS: '100',
      WORKER_CONCURRENCY: '2',
      DATABASE_POOL_SIZE: '4',
      WORKER_HEALTH_PORT: '0',
    },
  );
  const started = await Promise.allSettled([
    startApiProcess(apiEnv),
    startApiProcess(apiEnv),
    startWorker(wEnv),
    startWorker(wEnv),
  ]);
  const processes = started.flatMap((s) => {
    if (s.status === 'rejected') return [];
    return 'process' in s.value ? [s.value.process] : [s.value];
  });
  const redis =
    'url' in target
      ? new Redis(target.url, { maxRetriesPerRequest: 1 })
      : new Cluster(target.cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(new URL(n).port) })));
  const stop = async () => {
    for (const p of processes) await p.kill();
    if ('url' in target) await dropRedisPrefix(target.url, keyPrefix);
    redis.disconnect();
    await db.drop();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: jwtSecret });
  return {
    db,
    keyPrefix,
    apis: started.slice(0, 2).map((s) => (s as PromiseFulfilledResult<ApiProcess>).value),
    workers: started.slice(2).map((s) => (s as PromiseFulfilledResult<ServiceProcess>).value),
    tokens: new TokenService({ ...config.jwt, secret: jwtSecret }),
    redis,
    stop,
  };
}

/** Of the completed reminder jobs, how many reminders each worker (BullMQ's `processedBy`, host:pid) handled. */
async function remindersByWorker(redis: Redis | Cluster, prefix: string): Promise<Record<string, number>> {
  const ids = await redis.zrange(`${prefix}:effects:completed`, 0, -1);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:effects:${id}`, 'name', 'pb', 'data');
  const by: Record<string, number> = {};
  for (const [, v] of (await pipeline.exec()) ?? []) {
    const [name, pb, data] = v as (string | null)[];
    if (name !== 'reminders' && name !== 'reminder') continue;
    const d = JSON.parse(data!) as { reminderIds?: string[] };
    const pid = pb!.split(':').pop()!;
    by[pid] = (by[pid] ?? 0) + (d.reminderIds?.length ?? 1);
  }
  return by;
}

/** Subscribers of the live notification channel, over every node (a cluster's SUBSCRIBE lands on one of them). */
async function channelSubscribers(redis: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const counts = await Promise.all(
    nodes.map(async (n) => Number(((await n.pubsub('NUMSUB', notificationChannel(prefix))) as [string, number])[1])),
  );
  return counts.reduce((a, b) => a + b, 0);
}

interface Live {
  received: Data[];
  errors: unknown[];
  client: Client;
}

const modes: [string, () => Promise<RedisTarget>, (t: RedisTarget) => Promise<void>][] = [
  ['one Redis server', async () => ({ url: redisUrl() }), async () => undefined],
  ['a Redis Cluster (three masters)', async () => ({ cluster: await startRedisCluster(3) }), stopCluster],
];
async function stopCluster(t: RedisTarget) {
  if ('cluster' in t) await t.cluster.stop();
}
const clusterAvailable = redisServerOnPath();
if (!clusterAvailable) console.log('scale-out on a Redis Cluster skipped: no redis-server on PATH');

/**
 * Scale-out (issue 7): two API processes and two worker processes, started as production starts them, over one
 * PostgreSQL and one Redis — a server, then a cluster. Due reminders are delivered once by the two workers together;
 * a write acknowledged by either API is read at once through the other; a live subscription on one API receives what
 * the workers produce for writes made through the other.
 */
describe.each(modes)('two APIs and two workers on %s', (mode, startRedis, stopRedis) => {
  const run = mode.includes('Cluster') && !clusterAvailable ? it.skip : it;
  let target: RedisTarget | undefined;
  let fleet: Fleet;
  const t: Record<string, string> = {};
  const u: Record<string, string> = {};
  const org: Record<string, string> = {};
  const sockets: Live[] = [];

  /** `who` (hwSupporter, centreCoordinator...) through API `n` (0 or 1); the operation must succeed. */
  const ok = async (n: number, who: string, query: string, variables: Record<string, unknown> = {}) => {
    const r = await fleet.apis[n]!.gql<Data>(query, variables, {
      token: t[who]!,
      org: org[who.replace(/[A-Z].*$/, '')],
    });
    expect({ api: n + 1, who, errors: r.errors }).toEqual({ api: n + 1, who, errors: undefined });
    return r.data!;
  };
  const describeAll = () => [...fleet.apis.map((a) => a.process), ...fleet.workers].map((p) => p.describe()).join('\n');

  /** A client registered by the Hello Work supporter through API `w`, with a consent to refer them to the centre. */
  const referable = async (w: number, i: number) => {
    const c = await ok(w, 'hwSupporter', REGISTER, {
      input: { familyName: `拡張${i}`, givenName: '花子', birthDate: '1985-04-01', prefectureCode: '13' },
    });
    return { caseId: c.registerClient.id as string, clientId: c.registerClient.client.id as string };
  };
  const consentAndSend = async (consentVia: number, sendVia: number, x: { caseId: string; clientId: string }) => {
    await ok(consentVia, 'hwSupporter', RECORD_CONSENT, {
      input: {
        clientId: x.clientId,
        recipientOrganizationIds: [org.centre],
        purposes: ['REFERRAL'],
        categories: ['IDENTITY'],
        method: 'WRITTEN',
        expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
      },
    });
    const sent = await ok(sendVia, 'hwSupporter', SEND, {
      input: { caseId: x.caseId, toOrganizationId: org.centre, reason: 'MEDICAL', sharedCategories: ['IDENTITY'] },
    });
    return sent.sendReferral.id as string;
  };

  beforeAll(async () => {
    if (run === it.skip) return;
    target = await startRedis();
    fleet = await startFleet(target);
    const f = factories(fleet.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク渋谷', kind: 'HELLO_WORK' })).id;
    org.centre = (await f.organization({ name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    for (const [name, o, roles] of [
      ['hwSupporter', 'hw', ['SUPPORTER']],
      ['centreCoordinator', 'centre', ['COORDINATOR']],
      ['centreSupporter', 'centre', ['SUPPORTER']],
    ] as const) {
      u[name] = (await f.member(org[o]!, [...roles])).id;
      t[name] = (await fleet.tokens.issue(u[name])).token;
    }
  }, 90_000);
  afterAll(async () => {
    for (const s of sockets) await s.client.dispose();
    await fleet?.stop();
    if (target) await stopRedis(target);
  });

  run(
    `delivers ${ORGS * REMINDERS_PER_ORG} due reminders of ${ORGS} organizations once each, both workers taking part`,
    async () => {
      const f = factories(fleet.db.owner);
      for (let i = 0; i < ORGS; i++) {
        const o = await f.organization();
        const assignees = await Promise.all([1, 2].map(() => f.member(o.id, ['SUPPORTER'])));
        await seedFollowUpReminders(fleet.db.owner, {
          orgId: o.id,
          assigneeIds: assignees.map((a) => a.id),
          count: REMINDERS_PER_ORG,
          dueAt: new Date(Date.now() + 3600_000),
        });
      }
      // 5 ms per notification: a batch of 50 outlasts the fetch of the next job, so the drain is shared by both workers
      // whatever the scheduling (without it one worker may empty the queue before the other wakes).
      await fleet.db.owner.query(`CREATE FUNCTION slow_effect() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END $$`);
      await fleet.db.owner.query(
        `CREATE TRIGGER slow_effect BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION slow_effect()`,
      );
      const total = ORGS * REMINDERS_PER_ORG;
      const t0 = Date.now();
      await fleet.db.owner.query(`UPDATE reminders SET due_at = now() - interval '1 minute'`);
      const statuses = await eventually(
        async () => {
          const s = await reminderStatuses(fleet.db.owner);
          return s.DONE === total && s;
        },
        45_000,
        describeAll,
      );
      const seconds = (Date.now() - t0) / 1000;
      await fleet.db.owner.query(`DROP TRIGGER slow_effect ON notifications; DROP FUNCTION slow_effect()`);

      const figures = await deliveryFigures(fleet.db.owner, 'FOLLOW_UP_DUE');
      const byWorker = await remindersByWorker(fleet.redis, fleet.keyPrefix);
      const pids = fleet.workers.map((w) => String(w.child.pid));
      console.log(
        `scale-out (${mode}): ${total} reminders drained by 2 workers in ${seconds.toFixed(1)} s (5 ms per ` +
          `notification added); by worker ${pids.map((p) => byWorker[p] ?? 0).join(' + ')}; ` +
          `${figures.notifications} notifications, ${figures.duplicated} duplicated, ${figures.missing} missing`,
      );
      expect(statuses).toEqual({ PENDING: 0, ENQUEUED: 0, DONE: total });
      expect(figures).toEqual({ reminders: total, notifications: total, duplicated: 0, missing: 0 });
      // Every reminder was handled by one of the two workers, and each of them handled some.
      expect(Object.keys(byWorker).sort()).toEqual([...pids].sort());
      expect(pids.map((p) => byWorker[p]!).reduce((a, b) => a + b, 0)).toBe(total);
      expect(pids.every((p) => byWorker[p]! > 0)).toBe(true);
    },
    60_000,
  );

  run(
    `reads every write acknowledged by one API at once through the other (${ROUNDS} interleaved rounds)`,
    async () => {
      for (let i = 0; i < ROUNDS; i++) {
        // Even rounds write through API 1 first, odd rounds through API 2: each step reads through the other one.
        const a = i % 2;
        const b = 1 - a;
        const x = await referable(a, i);
        const read = await ok(b, 'hwSupporter', CASE, { id: x.caseId });
        expect(read.case).toMatchObject({ id: x.caseId, status: 'OPEN', client: { familyName: `拡張${i}` } });
        // The supporter's list (newest activity first) has it on top, and counts every case registered so far.
        expect((await ok(b, 'hwSupporter', CASES)).cases).toEqual({ totalCount: i + 1, nodes: [{ id: x.caseId }] });

        const entry = await ok(b, 'hwSupporter', ADD_ENTRY, {
          input: { caseId: x.caseId, kind: 'CONSULTATION', summary: `面談 ${i}` },
        });
        const timeline = (await ok(a, 'hwSupporter', CASE, { id: x.caseId })).case.timeline.nodes as Data[];
        expect(timeline).toContainEqual({ id: entry.addTimelineEntry.id, summary: `面談 ${i}` });

        // The consent written through A is what B's sendReferral checks.
        const referral = await consentAndSend(a, b, x);
        const incoming = (await ok(a, 'centreCoordinator', INCOMING)).referrals.nodes as Data[];
        expect(incoming).toContainEqual({ id: referral, status: 'SENT' });
        expect((await ok(b, 'centreCoordinator', REFERRAL, { id: referral })).referral.status).toBe('RECEIVED');
        expect((await ok(a, 'hwSupporter', REFERRAL, { id: referral })).referral.status).toBe('RECEIVED');

        if (i % 2 === 0) {
          const accepted = await ok(b, 'centreCoordinator', ACCEPT, { id: referral, assignee: u.centreSupporter });
          expect((await ok(a, 'hwSupporter', REFERRAL, { id: referral })).referral.status).toBe('ACCEPTED');
          const centreCase = await ok(a, 'centreSupporter', CASE, { id: accepted.acceptReferral.toCase.id });
          expect(centreCase.case).toMatchObject({ status: 'OPEN', client: { id: x.clientId } });
        } else {
          await ok(b, 'centreCoordinator', DECLINE, { id: referral });
          expect((await ok(a, 'hwSupporter', REFERRAL, { id: referral })).referral.status).toBe('DECLINED');
        }

        // The worker's notification of the referral: once one API lists it, so does the other; read through one,
        // read through the other.
        const listed = async (n: number, unread?: boolean) =>
          ((await ok(n, 'centreCoordinator', NOTIFICATIONS, { unread })).notifications.nodes as Data[]).find(
            (m) => m.kind === 'REFERRAL_RECEIVED' && m.subjectId === referral,
          );
        const notification = await eventually(() => listed(a), 20_000, describeAll, 50);
        expect(await listed(b)).toEqual(notification);
        expect(notification.readAt).toBeNull();
        await ok(b, 'centreCoordinator', MARK_READ, { id: notification.id });
        expect(await listed(a, true)).toBeUndefined();
        expect((await listed(a))!.readAt).not.toBeNull();
      }
    },
    60_000,
  );

  run(
    'pushes to subscribers on both APIs what the workers made of writes through either API, once each',
    async () => {
      const subscribe = (n: number): Live => {
        const live = { received: [], errors: [] } as unknown as Live;
        live.client = createClient({
          url: `${fleet.apis[n]!.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${t.centreCoordinator}`, organizationId: org.centre },
          retryAttempts: 0,
        });
        live.client.subscribe(
          { query: SUBSCRIBE },
          {
            next: (v) =>
              v.errors ? live.errors.push(...v.errors) : live.received.push(v.data!.notificationAdded as Data),
            error: (e) => live.errors.push(e),
            complete: () => undefined,
          },
        );
        sockets.push(live);
        return live;
      };
      const onApi = [subscribe(0), subscribe(1)];
      // Each API process holds one Redis subscription, opened with its first subscriber.
      await eventually(async () => (await channelSubscribers(fleet.redis, fleet.keyPrefix)) === 2, 10_000, describeAll);

      const sentThrough: string[][] = [[], []];
      for (let i = 0; i < LIVE_REFERRALS; i++) {
        const w = i % 2;
        sentThrough[w]!.push(await consentAndSend(w, w, await referable(w, 100 + i)));
      }
      const all = sentThrough.flat();
      const ofThese = (l: Live) =>
        l.received.filter((n) => n.kind === 'REFERRAL_RECEIVED' && all.includes(n.subjectId)).map((n) => n.subjectId);
      await eventually(async () => onApi.every((l) => ofThese(l).length >= all.length), 20_000, describeAll, 50);

      // Every referral reached both sockets once: those sent through API 1 reached API 2's subscriber and vice versa.
      for (const l of onApi) {
        expect(l.errors).toEqual([]);
        expect([...ofThese(l)].sort()).toEqual([...all].sort());
      }
      expect(onApi[1]!.received.map((n) => n.subjectId)).toEqual(expect.arrayContaining(sentThrough[0]!));
      expect(onApi[0]!.received.map((n) => n.subjectId)).toEqual(expect.arrayContaining(sentThrough[1]!));
      // What was pushed is what either API lists.
      const stored = (await ok(0, 'centreCoordinator', NOTIFICATIONS)).notifications.nodes as Data[];
      const pushed = onApi[1]!.received.filter((n) => all.includes(n.subjectId));
      expect(
        stored
          .filter((n) => all.includes(n.subjectId))
          .map((n) => n.id)
          .sort(),
      ).toEqual(pushed.map((n) => n.id).sort());
    },
    60_000,
  );
});
