import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { japanDate } from '@tasuki/platform';
import { cast } from '../harness/cast.js';
import { factories } from '../harness/factories.js';
import { OwnRedis } from '../harness/redis-server.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';
import { dropRedisPrefix, eventually, startWorker, workerEnv } from '../harness/worker-fleet.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id status } }`;
const PLACE = `mutation($input: PlacementInput!) { recordPlacement(input: $input) { id } }`;

/** Reminder outcomes that do nothing (the reminder no longer applied when it was handled). */
const NO_EFFECT = ['answered', 'not scheduled', 'not expired', 'not active', 'not applicable'];

/**
 * Redis down (PRODUCT.md §3, ARCHITECTURE.md "the API never depends on Redis being up to commit a write"): with
 * the test's own redis-server paused or killed, mutations through the API commit and answer as usual while
 * readiness reports Redis down; once Redis is back (resumed, or restarted empty on the same port), the worker — a
 * real child process that lived through the outage — delivers every outbox event and reminder they created.
 */
describe('Redis down', () => {
  let redis: OwnRedis;
  let api: TestApi;
  let worker: ServiceProcess;
  const t: Record<string, string> = {};
  const org: Record<string, string> = {};
  const { ok } = cast(() => api, t, org);

  beforeAll(async () => {
    redis = await OwnRedis.start();
    api = await startTestApi({ REDIS_URL: redis.url });
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク横浜', kind: 'HELLO_WORK' })).id;
    org.centre = (await f.organization({ name: '神奈川県難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    for (const [name, o, roles] of [
      ['hwSupporter', 'hw', ['SUPPORTER']],
      ['hwCoordinator', 'hw', ['COORDINATOR']],
      ['centreCoordinator', 'centre', ['COORDINATOR']],
    ] as const) {
      t[name] = (await api.tokens.issue((await f.member(org[o]!, [...roles])).id)).token;
    }
    worker = await startWorker(
      workerEnv(
        { ...api.db, redisUrl: redis.url, keyPrefix: api.config.redis.keyPrefix, jwtSecret: api.config.jwt.secret },
        { REMINDER_SWEEP_SECONDS: '1', OUTBOX_POLL_MS: '100', JOB_LOCK_MS: '2000' },
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await worker?.kill();
    if (redis) await dropRedisPrefix(redis.url, api.config.redis.keyPrefix).catch(() => undefined);
    await api?.close();
    await redis?.stop();
  });

  const readiness = async () => {
    const res = await fetch(`${api.url}/health/ready`);
    return { status: res.status, body: (await res.json()) as { error?: Record<string, unknown> } };
  };

  /** The mutations a supporter makes on a new client: each must answer as usual, within a few seconds. */
  async function workOnANewClient() {
    const timed = async (query: string, input: Record<string, unknown>) => {
      const t0 = Date.now();
      const data = await ok('hwSupporter', query, { input });
      expect(Date.now() - t0).toBeLessThan(5000);
      return data;
    };
    const c = await timed(REGISTER, {
      familyName: '佐藤',
      givenName: randomBytes(2).toString('hex'),
      birthDate: '1985-05-05',
      prefectureCode: '14',
    });
    const caseId = c.registerClient.id as string;
    await timed(RECORD_CONSENT, {
      clientId: c.registerClient.client.id,
      recipientOrganizationIds: [org.centre],
      purposes: ['REFERRAL'],
      categories: ['IDENTITY'],
      method: 'WRITTEN',
      expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
    });
    const r = await timed(SEND, {
      caseId,
      toOrganizationId: org.centre,
      reason: 'MEDICAL',
      sharedCategories: ['IDENTITY'],
    });
    expect(r.sendReferral.status).toBe('SENT');
    await timed(PLACE, {
      caseId,
      employerName: '株式会社みなと',
      startDate: japanDate(new Date(Date.now() - 20 * 86400_000)),
      route: 'GENERAL_CLOSED',
      weeklyHoursBand: 'FROM_20_UNDER_30',
    });
    return { caseId, referralId: r.sendReferral.id as string };
  }

  /**
   * While Redis is out: readiness says so, the writes commit, and their reminders come due (moved behind the
   * service, as the clock would). After `restore`: everything they created is delivered within a bounded wait.
   */
  async function outage(
    stop: () => Promise<void> | void,
    restore: () => Promise<void>,
    o: { lostJobs?: boolean } = {},
  ) {
    await stop();
    const down = await eventually(async () => {
      const r = await readiness();
      return r.status === 503 && r;
    }, 10_000);
    expect(Object.keys(down.body.error ?? {})).toEqual(['redis']);

    const { caseId, referralId } = await workOnANewClient();
    const { rows: created } = await api.db.owner.query<{ id: string; kind: string }>(
      `UPDATE reminders SET due_at = now() - interval '1 minute'
        WHERE status = 'PENDING' AND (subject_id = $1 OR subject_id IN (SELECT id FROM follow_ups WHERE case_id = $2)
           OR subject_id IN (SELECT id FROM consent_grants WHERE client_id = (SELECT client_id FROM cases WHERE id = $2)))
        RETURNING id, kind`,
      [referralId, caseId],
    );
    expect(created.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['REFERRAL_UNANSWERED', 'REFERRAL_UNANSWERED_SENDER', 'CONSENT_EXPIRING']),
    );
    const { rows: events } = await api.db.owner.query<{ id: string; relayed_at: Date | null }>(
      `SELECT id::text, relayed_at FROM outbox WHERE payload->>'referralId' = $1`,
      [referralId],
    );
    expect(events).toEqual([{ id: expect.any(String), relayed_at: null }]);
    if (o.lostJobs) {
      // As if the event and the referral's reminders had been handed to BullMQ just before Redis lost its data.
      await api.db.owner.query(`UPDATE outbox SET relayed_at = now() WHERE id = $1`, [events[0]!.id]);
      await api.db.owner.query(`UPDATE reminders SET status = 'ENQUEUED', enqueued_at = now() WHERE subject_id = $1`, [
        referralId,
      ]);
    }
    // A few relay passes and sweeps fail or hang meanwhile: the worker must ride them out.
    await new Promise((r) => setTimeout(r, 2000));
    expect(worker.running).toBe(true);

    const back = Date.now();
    await restore();
    const ids = created.map((r) => r.id);
    const handled = await eventually(
      async () => {
        const { rows } = await api.db.owner.query<{ id: string; kind: string; outcome: string }>(
          `SELECT id, kind, outcome FROM reminders WHERE id = ANY ($1::uuid[]) AND status = 'DONE'`,
          [ids],
        );
        return rows.length === ids.length && rows;
      },
      30_000,
      () => worker.describe(),
    );
    const keys = [
      `outbox-${events[0]!.id}`,
      ...handled.filter((r) => !NO_EFFECT.includes(r.outcome)).map((r) => `reminder-${r.id}`),
    ];
    const notified = await eventually(async () => {
      const { rows } = await api.db.owner.query<{ dedupe_key: string; kind: string }>(
        `SELECT DISTINCT dedupe_key, kind FROM notifications WHERE dedupe_key = ANY ($1::text[])`,
        [keys],
      );
      return rows.length === keys.length && rows;
    }, 10_000);
    console.log(
      `Redis down: ${created.length} reminders and 1 outbox event delivered ${((Date.now() - back) / 1000).toFixed(1)} s ` +
        `after Redis returned (${notified.map((n) => n.kind).join(', ')})`,
    );
    expect(notified.map((n) => n.kind)).toEqual(
      expect.arrayContaining([
        'REFERRAL_RECEIVED',
        'REFERRAL_UNANSWERED',
        'REFERRAL_UNANSWERED_SENDER',
        'CONSENT_EXPIRING',
      ]),
    );
    expect((await readiness()).status).toBe(200);
    expect(worker.running).toBe(true);
    // The outage was logged (at most once per 10 s), not printed attempt by attempt on stderr.
    expect(worker.stderr).toBe('');
    expect(worker.logs.filter((l) => l.msg.startsWith('Redis unavailable')).length).toBeLessThanOrEqual(4);
    if (o.lostJobs) {
      // Delivered by the recovery on reconnect, not by the re-enqueue of stale rows minutes later.
      expect(worker.logs.some((l) => l.msg.startsWith('Redis is back'))).toBe(true);
      expect(worker.logs.some((l) => l.msg.startsWith('Redis unavailable'))).toBe(true);
    }
  }

  it('paused (SIGSTOP: nothing answers): writes commit; on resume every effect is delivered', async () => {
    await outage(
      () => redis.pause(),
      async () => redis.resume(),
    );
  }, 60_000);

  it('killed, then restarted empty on the same port: writes commit; every effect is delivered, lost jobs too', async () => {
    await outage(
      () => redis.kill(),
      () => redis.restart({ fresh: true }),
      { lostJobs: true },
    );
  }, 60_000);
});
