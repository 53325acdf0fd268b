import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Queue } from 'bullmq';
import { NotificationFeed, notify, WebhookDeliveryService } from '@tasuki/domain';
import { bullConnection, createQueue, QUEUE_NAMES, type RedisClient } from '@tasuki/platform';
import { cast, type Data } from '../harness/cast.js';
import { factories } from '../harness/factories.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { eventually as eventuallyIn, startWorker } from '../harness/worker.js';

const WEBHOOK = `{ webhook { url active secretHint createdSecret updatedAt } }`;
const SET = `mutation($url: String!, $secret: String) {
  setWebhook(url: $url, secret: $secret) { url active secretHint createdSecret } }`;
const DISABLE = `mutation { disableWebhook { url active secretHint createdSecret } }`;
const DELIVERIES = `query($first: Int, $after: String) { webhookDeliveries(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id kind status attempts lastStatusCode lastError createdAt lastAttemptAt deliveredAt } } }`;
const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id status } }`;
const NOTIFICATIONS = `{ notifications(first: 50) { nodes { kind subjectId } } }`;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver's verification, as docs/architecture.md gives it: the HMAC of "<timestamp>.<body>", recent enough. */
function verifies({ headers, body }: Received, secret: string): boolean {
  const ts = String(headers['x-tasuki-timestamp']);
  const sig = Buffer.from(String(headers['x-tasuki-signature']));
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'));
  const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
  return fresh && sig.length === expected.length && timingSafeEqual(sig, expected);
}

/**
 * A small receiver on a loopback port: records every request and answers each path from its plan (status codes in
 * order, then 200); `/slow` answers after 300 ms, `/hang` never answers.
 */
async function startReceiver() {
  const received: Received[] = [];
  const plans = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path === '/hang') return;
      const status = plans.get(path)?.shift() ?? 200;
      setTimeout(() => res.writeHead(status).end(status < 300 ? 'ok' : 'receiver error'), path === '/slow' ? 300 : 0);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    plan: (path: string, statuses: number[]) => plans.set(path, statuses),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * Organization webhooks end to end: the ORG_ADMIN sets the webhook through GraphQL, the worker (a real child process)
 * sends one signed delivery per notification event to a receiver on a loopback port, retries it with backoff and
 * records how it went. The worker retries fast here (WEBHOOK_BACKOFF_MS=200, 3 attempts); the attempts made in this
 * process (`WebhookDeliveryService`) time out after 500 ms.
 */
describe('organization webhooks', () => {
  let api: TestApi;
  let worker: ServiceProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let redis: RedisClient;
  let effects: Queue;
  const t: Record<string, string> = {};
  const org: Record<string, string> = {};
  const s: Record<string, string> = {};
  const { run, ok } = cast(() => api, t, org);
  const eventually = <T>(check: () => Promise<T | undefined | null | false>) =>
    eventuallyIn(check, 20_000, () => worker.describe());

  const deliveriesOf = async (who: string) =>
    (await ok(who, DELIVERIES, { first: 50 })).webhookDeliveries as { totalCount: number; nodes: Data[] };
  const deliveryRow = async (id: string) =>
    (
      await api.db.owner.query(
        `SELECT status, attempts, last_status_code, last_error, lease_until FROM webhook_deliveries WHERE id = $1`,
        [id],
      )
    ).rows[0];
  /** A PENDING delivery without an outbox row: only the attempts this test makes send it. */
  const pendingDelivery = async (orgId: string) =>
    (
      await api.db.owner.query(
        `INSERT INTO webhook_deliveries (org_id, event_key, kind, payload) VALUES ($1, $2, 'TEST', '{}') RETURNING id`,
        [orgId, `test-${randomUUID()}`],
      )
    ).rows[0].id as string;
  const deliveries = () => api.app.get(WebhookDeliveryService);
  const webhookAudit = async (orgId: string) =>
    (
      await api.db.owner.query(
        `SELECT action, fields, to_jsonb(a)::text AS row FROM audit_events a
          WHERE org_id = $1 AND subject_type = 'Webhook' ORDER BY seq`,
        [orgId],
      )
    ).rows as { action: string; fields: string[]; row: string }[];
  const jobState = async (id: string) => {
    const job = await effects.getJob(id);
    return job ? { state: await job.getState(), returnvalue: job.returnvalue as unknown } : null;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    api = await startTestApi({ WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_ATTEMPTS: '3' });
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク渋谷', kind: 'HELLO_WORK' })).id;
    org.centre = (await f.organization({ name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    org.other = (await f.organization()).id;
    for (const [name, o, roles] of [
      ['hwSupporter', 'hw', ['SUPPORTER']],
      ['hwCoordinator', 'hw', ['COORDINATOR']],
      ['hwAdmin', 'hw', ['ORG_ADMIN']],
      ['centreAdmin', 'centre', ['ORG_ADMIN']],
      ['centreCoordinator', 'centre', ['COORDINATOR']],
      ['centreCoordinator2', 'centre', ['COORDINATOR']],
      ['centreCoordinator3', 'centre', ['COORDINATOR']],
      ['otherAdmin', 'other', ['ORG_ADMIN']],
    ] as const) {
      t[name] = (await api.tokens.issue((await f.member(org[o]!, [...roles])).id)).token;
    }
    worker = await startWorker(api, {
      WEBHOOK_BACKOFF_MS: '200',
      WEBHOOK_ATTEMPTS: '3',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    redis = bullConnection(api.config.redis);
    effects = createQueue(QUEUE_NAMES.effects, redis, api.config.redis.keyPrefix);
  }, 60_000);
  afterAll(async () => {
    await worker?.kill();
    await effects?.close();
    await redis?.quit();
    await api?.close();
    await receiver?.close();
  });

  it('1. only the organization’s ORG_ADMIN reads or changes its webhook', async () => {
    for (const who of ['centreCoordinator', 'hwSupporter']) {
      expect(codes(await run(who, WEBHOOK))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, DELIVERIES))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, SET, { url: receiver.url('/x') }))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, DISABLE))).toEqual(['FORBIDDEN']);
    }
    // Another organization's admin cannot act for this one at all.
    const foreign = await api.gql(SET, { url: receiver.url('/x') }, { token: t.otherAdmin, org: org.centre });
    expect(codes(foreign)).toEqual(['FORBIDDEN']);
    expect((await ok('centreAdmin', WEBHOOK)).webhook).toBeNull();
    expect(codes(await run('centreAdmin', DISABLE))).toEqual(['NOT_FOUND']);
  });

  it('2. a bad URL or secret is refused naming the field, and nothing changes', async () => {
    const badUrls = [
      'ftp://127.0.0.1/hook',
      'not a url',
      'http://user:password@127.0.0.1/hook',
      'https://hooks.example.jp/#fragment',
      `https://hooks.example.jp/${'a'.repeat(2000)}`,
      '',
    ];
    for (const url of badUrls) {
      const r = await run('centreAdmin', SET, { url });
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0]!.extensions!.field).toBe('url');
    }
    for (const secret of ['too short', `${'x'.repeat(40)} with spaces`, 'x'.repeat(201)]) {
      const r = await run('centreAdmin', SET, { url: receiver.url('/centre'), secret });
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0]!.extensions!.field).toBe('secret');
    }
    expect((await ok('centreAdmin', WEBHOOK)).webhook).toBeNull();
    expect(await webhookAudit(org.centre!)).toEqual([]);
  });

  it('3. a generated secret is returned once, never readable afterwards, and never audited', async () => {
    const d = await ok('centreAdmin', SET, { url: receiver.url('/centre') });
    const secret = d.setWebhook.createdSecret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(d.setWebhook).toMatchObject({ url: receiver.url('/centre'), active: true, secretHint: secret.slice(-4) });
    s.secret = secret;
    expect((await ok('centreAdmin', WEBHOOK)).webhook).toMatchObject({
      url: receiver.url('/centre'),
      active: true,
      secretHint: secret.slice(-4),
      createdSecret: null,
    });
    // The schema has no field that would show it.
    expect(codes(await run('centreAdmin', `{ webhook { secret } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const audit = await webhookAudit(org.centre!);
    expect(audit.map((a) => [a.action, a.fields])).toEqual([['webhook.created', ['url', 'secret', 'active']]]);
    expect(audit[0]!.row).not.toContain(secret);

    // A secret the organization chose is stored as given and not echoed back.
    const chosen = `hw-${'s'.repeat(37)}`;
    const hw = await ok('hwAdmin', SET, { url: receiver.url('/hw'), secret: chosen });
    expect(hw.setWebhook).toMatchObject({ createdSecret: null, secretHint: 'ssss', active: true });
  });

  it('4. one event told to three coordinators is one signed delivery; 500 twice then 200 ends DELIVERED after 3 attempts', async () => {
    receiver.plan('/centre', [500, 500]);
    const client = await ok('hwSupporter', REGISTER, {
      input: { familyName: '木村', givenName: '花', birthDate: '1990-01-01', prefectureCode: '13' },
    });
    const consent = await ok('hwSupporter', RECORD_CONSENT, {
      input: {
        clientId: client.registerClient.client.id,
        recipientOrganizationIds: [org.centre],
        purposes: ['REFERRAL'],
        categories: ['IDENTITY'],
        method: 'WRITTEN',
        expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
      },
    });
    expect(consent.recordConsent.id).toEqual(expect.any(String));
    const sent = await ok('hwSupporter', SEND, {
      input: {
        caseId: client.registerClient.id,
        toOrganizationId: org.centre,
        reason: 'MEDICAL',
        sharedCategories: ['IDENTITY'],
      },
    });
    const referralId = sent.sendReferral.id as string;
    s.case = client.registerClient.id;

    const delivered = await eventually(async () =>
      (await deliveriesOf('centreAdmin')).nodes.find((n) => n.status === 'DELIVERED'),
    );
    expect(delivered).toMatchObject({
      kind: 'REFERRAL_RECEIVED',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      deliveredAt: expect.any(String),
    });
    s.delivery = delivered.id;
    // Three coordinators were told, and the event is still one delivery.
    for (const who of ['centreCoordinator', 'centreCoordinator2', 'centreCoordinator3']) {
      expect((await ok(who, NOTIFICATIONS)).notifications.nodes).toEqual([
        { kind: 'REFERRAL_RECEIVED', subjectId: referralId },
      ]);
    }
    expect((await deliveriesOf('centreAdmin')).totalCount).toBe(1);
    expect((await deliveriesOf('hwAdmin')).totalCount).toBe(0);

    const posts = receiver.at('/centre');
    expect(posts).toHaveLength(3);
    for (const p of posts) {
      expect(p.headers['content-type']).toBe('application/json');
      expect(p.headers['x-tasuki-event']).toBe('REFERRAL_RECEIVED');
      expect(p.headers['x-tasuki-delivery']).toBe(s.delivery);
      // The receiver's check of docs/architecture.md, with the secret it was given (and with another one).
      expect(verifies(p, s.secret!)).toBe(true);
      expect(verifies(p, `${s.secret}x`)).toBe(false);
      expect(verifies({ ...p, body: p.body.replace('REFERRAL', 'REFERRAX') }, s.secret!)).toBe(false);
    }
    // The body names the kind, the subject and the organization by id, and the time: nothing personal.
    const body = JSON.parse(posts[0]!.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      'id',
      'kind',
      'occurredAt',
      'organizationId',
      'subjectId',
      'subjectType',
    ]);
    expect(body).toEqual({
      id: s.delivery,
      kind: 'REFERRAL_RECEIVED',
      organizationId: org.centre,
      subjectType: 'Referral',
      subjectId: referralId,
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    for (const personal of ['木村', '花', '1990', 'ハローワーク渋谷', '紹介'])
      expect(posts[0]!.body).not.toContain(personal);
  });

  it('5. a delivery job run again or added again after DELIVERED does not POST again', async () => {
    expect(await deliveries().deliver(s.delivery!, org.centre!, { final: false })).toBe('already DELIVERED');
    const { rows } = await api.db.owner.query(
      `SELECT id::text, org_id, kind, payload FROM outbox WHERE kind = 'webhook.deliver' AND payload->>'deliveryId' = $1`,
      [s.delivery],
    );
    expect(rows).toHaveLength(1);
    const jobId = `outbox-${rows[0].id}`;
    const original = await effects.getJob(jobId);
    expect(await original!.getState()).toBe('completed');
    // The same job id again (once the completed job is gone) and a second job for the same row.
    await original!.remove();
    for (const id of [jobId, `${jobId}-again`]) {
      await effects.add('outbox', rows[0], { jobId: id, attempts: 3, backoff: { type: 'exponential', delay: 200 } });
    }
    for (const id of [jobId, `${jobId}-again`]) {
      const done = await eventually(async () => {
        const j = await jobState(id);
        return j?.state === 'completed' ? j : null;
      });
      expect(done).toEqual({
        state: 'completed',
        returnvalue: 'already DELIVERED',
      });
    }
    expect(receiver.at('/centre')).toHaveLength(3);
    expect(await deliveryRow(s.delivery!)).toMatchObject({ status: 'DELIVERED', attempts: 3 });
  });

  it('6. after the last attempt the delivery is FAILED and its job kept failed; each organization sees its own', async () => {
    receiver.plan('/hw', [500, 500, 500, 500]);
    // The daily digest of stale cases, due now, tells the hw coordinators: an event for hw's webhook.
    await api.db.owner.query(`UPDATE cases SET last_activity_at = now() - interval '61 days' WHERE id = $1`, [s.case]);
    await api.db.owner.query(
      `INSERT INTO reminders (org_id, kind, subject_id, due_at) VALUES ($1, 'STALE_CASES', $1, now() - interval '1 minute')`,
      [org.hw],
    );
    const failed = await eventually(async () =>
      (await deliveriesOf('hwAdmin')).nodes.find((n) => n.status === 'FAILED'),
    );
    expect(failed).toMatchObject({
      kind: 'STALE_CASES',
      attempts: 3,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      deliveredAt: null,
    });
    expect(receiver.at('/hw')).toHaveLength(3);
    const { rows } = await api.db.owner.query(
      `SELECT id FROM outbox WHERE kind = 'webhook.deliver' AND payload->>'deliveryId' = $1`,
      [failed.id],
    );
    expect((await jobState(`outbox-${rows[0].id}`))?.state).toBe('failed');

    expect((await deliveriesOf('centreAdmin')).nodes.map((n) => n.id)).toEqual([s.delivery]);
    expect((await ok('otherAdmin', WEBHOOK)).webhook).toBeNull();
    expect((await deliveriesOf('otherAdmin')).totalCount).toBe(0);
  });

  it('7. a webhook disabled meanwhile: its pending delivery ends FAILED without a POST, and new events make none', async () => {
    const pending = await pendingDelivery(org.centre!);
    const d = await ok('centreAdmin', DISABLE);
    expect(d.disableWebhook).toMatchObject({ active: false, createdSecret: null, secretHint: s.secret!.slice(-4) });
    const before = receiver.received.length;
    expect(await deliveries().deliver(pending, org.centre!, { final: false })).toBe('webhook disabled');
    expect(await deliveryRow(pending)).toMatchObject({ status: 'FAILED', attempts: 0, last_error: 'webhook disabled' });
    await api.app.get(NotificationFeed).run({ orgId: org.centre!, userId: null }, (tx) =>
      notify(tx, {
        orgId: org.centre!,
        userIds: [],
        kind: 'STALE_CASES',
        subjectType: 'Organization',
        subjectId: org.centre!,
        message: 'テスト',
        dedupeKey: `test-${randomUUID()}`,
      }),
    );
    expect((await deliveriesOf('centreAdmin')).totalCount).toBe(2);
    expect(receiver.received.length).toBe(before);
    // Disabling again changes nothing and records nothing.
    expect((await ok('centreAdmin', DISABLE)).disableWebhook.active).toBe(false);
    expect((await webhookAudit(org.centre!)).map((a) => a.action)).toEqual(['webhook.created', 'webhook.disabled']);
  });

  it('8. two attempts at the same delivery at once: one POST; the other finds the lease and is retried later', async () => {
    await ok('centreAdmin', SET, { url: receiver.url('/slow'), secret: s.secret });
    // The same setting again changes nothing and is not audited.
    await ok('centreAdmin', SET, { url: receiver.url('/slow'), secret: s.secret });
    expect((await webhookAudit(org.centre!)).map((a) => [a.action, a.fields])).toEqual([
      ['webhook.created', ['url', 'secret', 'active']],
      ['webhook.disabled', ['active']],
      ['webhook.updated', ['url', 'active']],
    ]);
    const id = await pendingDelivery(org.centre!);
    const results = await Promise.allSettled([
      deliveries().deliver(id, org.centre!, { final: false }),
      deliveries().deliver(id, org.centre!, { final: false }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'fulfilled')).toMatchObject({ value: 'delivered' });
    expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toContain(
      'another attempt holds it',
    );
    expect(receiver.at('/slow')).toHaveLength(1);
    expect(await deliveryRow(id)).toMatchObject({ status: 'DELIVERED', attempts: 1, lease_until: null });
  });

  it('9. a receiver slower than the timeout fails the attempt; the final attempt marks it FAILED', async () => {
    await ok('centreAdmin', SET, { url: receiver.url('/hang'), secret: s.secret });
    const id = await pendingDelivery(org.centre!);
    await expect(deliveries().deliver(id, org.centre!, { final: false })).rejects.toThrow('timeout after 500 ms');
    expect(await deliveryRow(id)).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      last_status_code: null,
      last_error: 'timeout after 500 ms',
      lease_until: null,
    });
    await expect(deliveries().deliver(id, org.centre!, { final: true })).rejects.toThrow('marked FAILED');
    expect(await deliveryRow(id)).toMatchObject({ status: 'FAILED', attempts: 2 });
  });

  it('10. the deliveries page newest first, two at a time, to the same list', async () => {
    const all = (await deliveriesOf('centreAdmin')).nodes.map((n) => n.id);
    expect(all).toHaveLength(4);
    const paged: string[] = [];
    let after: string | null = null;
    for (;;) {
      const d: Data = (await ok('centreAdmin', DELIVERIES, { first: 2, after })).webhookDeliveries;
      expect(d.totalCount).toBe(all.length);
      paged.push(...d.nodes.map((n: Data) => n.id as string));
      if (!d.pageInfo.hasNextPage) break;
      after = d.pageInfo.endCursor;
    }
    expect(paged).toEqual(all);
    expect(all[all.length - 1]).toBe(s.delivery);
    expect(codes(await run('centreAdmin', DELIVERIES, { first: 2, after: 'not a cursor' }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });
});
