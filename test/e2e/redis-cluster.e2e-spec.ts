import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import { cast, type Data } from '../harness/cast.js';
import { factories } from '../harness/factories.js';
import { redisServerOnPath, startRedisCluster, type RedisCluster } from '../harness/redis-cluster.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';
import { eventually as eventuallyOf, startWorker } from '../harness/worker.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`;
const NOTIFICATIONS = `{ notifications(first: 50) { nodes { kind subjectId } } }`;

const available = redisServerOnPath();
if (!available) console.log('Redis Cluster e2e skipped: no redis-server on PATH to start a cluster with');

/**
 * The API and the worker (a real child process) on a three-master Redis Cluster of the test's own
 * (REDIS_CLUSTER_NODES): the reminder flow runs end to end, and BullMQ's keys all land in the hash tag's one slot.
 */
(available ? describe : describe.skip)('the reminder flow on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let api: TestApi;
  let worker: ServiceProcess;
  const t: Record<string, string> = {};
  const org: Record<string, string> = {};
  const { ok } = cast(() => api, t, org);
  const eventually = <T>(check: () => Promise<T | undefined | null | false>) =>
    eventuallyOf(check, 20_000, () => worker.describe());
  const notificationsOf = async (who: string) => (await ok(who, NOTIFICATIONS)).notifications.nodes as Data[];

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    api = await startTestApi({ REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodes.join(',') });
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク横浜', kind: 'HELLO_WORK' })).id;
    org.centre = (await f.organization({ name: '神奈川県難病相談支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    t.hwSupporter = (await api.tokens.issue((await f.member(org.hw, ['SUPPORTER'])).id)).token;
    t.centreCoordinator = (await api.tokens.issue((await f.member(org.centre, ['COORDINATOR'])).id)).token;
    t.operator = (await api.tokens.issue((await f.user({ operator: true })).id)).token;
    worker = await startWorker(api);
  }, 60_000);
  afterAll(async () => {
    await worker?.kill();
    await api?.close();
    await cluster?.stop();
  });

  it('reports the cluster ready in the API, and shows the operator its queues on the dashboard', async () => {
    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ info: { redis: { status: 'up' } } });
    const board = await fetch(`${api.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${t.operator}` },
    });
    expect(board.status).toBe(200);
    const { queues } = (await board.json()) as { queues: { name: string }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(['effects', 'reports', 'system']);
  });

  it('a referral sent reaches the recipient’s coordinator, and its unanswered reminder made due does too', async () => {
    const c = await ok('hwSupporter', REGISTER, {
      input: { familyName: '森', givenName: '葵', birthDate: '1988-05-05', prefectureCode: '14' },
    });
    await ok('hwSupporter', RECORD_CONSENT, {
      input: {
        clientId: c.registerClient.client.id,
        recipientOrganizationIds: [org.centre],
        purposes: ['REFERRAL'],
        categories: ['IDENTITY'],
        method: 'WRITTEN',
        expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
      },
    });
    const sent = await ok('hwSupporter', SEND, {
      input: {
        caseId: c.registerClient.id,
        toOrganizationId: org.centre,
        reason: 'MEDICAL',
        sharedCategories: ['IDENTITY'],
      },
    });
    const referral = sent.sendReferral.id as string;
    const received = await eventually(async () =>
      (await notificationsOf('centreCoordinator')).find((n) => n.kind === 'REFERRAL_RECEIVED'),
    );
    expect(received.subjectId).toBe(referral);

    await api.db.owner.query(
      `UPDATE reminders SET due_at = now() - interval '1 minute' WHERE kind = 'REFERRAL_UNANSWERED' AND subject_id = $1`,
      [referral],
    );
    const reminded = await eventually(async () =>
      (await notificationsOf('centreCoordinator')).find((n) => n.kind === 'REFERRAL_UNANSWERED'),
    );
    expect(reminded.subjectId).toBe(referral);
  });

  it('keeps every BullMQ key of the deployment in the one slot of its hash tag, on one master', async () => {
    const client = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(new URL(n).port) })));
    try {
      await client.ping();
      const perMaster = await Promise.all(client.nodes('master').map((m) => m.keys(`${api.config.redis.keyPrefix}:*`)));
      const holding = perMaster.filter((keys) => keys.length > 0);
      expect(holding).toHaveLength(1);
      expect(holding[0]!.some((k) => k.includes(':effects:'))).toBe(true);
    } finally {
      client.disconnect();
    }
  });
});
