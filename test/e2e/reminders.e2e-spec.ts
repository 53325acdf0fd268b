import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RemindersService } from '@tasuki/domain';
import { japanDate } from '@tasuki/platform';
import { cast, type Data } from '../harness/cast.js';
import { factories } from '../harness/factories.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { eventually as untilDone, startWorkerBeside } from '../harness/worker-beside.js';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id status } }`;
const REFERRAL = `query($id: ID!) { referral(id: $id) { id status statusReason } }`;
const PLACE = `mutation($input: PlacementInput!) { recordPlacement(input: $input) { id followUps { id status } } }`;
const NOTIFICATIONS = `query($unread: Boolean) { notifications(unreadOnly: $unread, first: 50) {
  totalCount nodes { id kind subjectType subjectId message readAt createdAt } } }`;
const START = `mutation($input: StartHandoverInput!) { startHandover(input: $input) { id status } }`;
const CASE = `query($id: ID!) { case(id: $id) { id assignees { id } } }`;
const MARK = `mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }`;

/**
 * Reminders and the outbox end to end: the API writes them in its transactions, the worker (a real child process)
 * relays and sweeps them, and the users find their notifications through GraphQL. Due times are moved into the
 * past behind the service, as the clock would.
 */
describe('reminders and notifications through the worker', () => {
  let api: TestApi;
  let worker: ServiceProcess;
  const t: Record<string, string> = {};
  const u: Record<string, string> = {};
  const org: Record<string, string> = {};
  const s: Record<string, string> = {};
  const { run, ok } = cast(() => api, t, org);

  const notificationsOf = async (who: string, unread = false) =>
    (await ok(who, NOTIFICATIONS, { unread })).notifications as { totalCount: number; nodes: Data[] };
  const eventually = <T>(check: () => Promise<T | undefined | null | false>) => untilDone(worker, check);
  const due = (kind: string, subjectId: string) =>
    api.db.owner.query(
      `UPDATE reminders SET due_at = now() - interval '1 minute' WHERE kind = $1 AND subject_id = $2`,
      [kind, subjectId],
    );
  const reminder = async (kind: string, subjectId: string) =>
    (
      await api.db.owner.query(`SELECT status, outcome FROM reminders WHERE kind = $1 AND subject_id = $2`, [
        kind,
        subjectId,
      ])
    ).rows[0];

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク渋谷', kind: 'HELLO_WORK' })).id;
    org.centre = (await f.organization({ name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    for (const [name, o, roles] of [
      ['hwSupporter', 'hw', ['SUPPORTER']],
      ['hwCoordinator', 'hw', ['COORDINATOR']],
      ['centreCoordinator', 'centre', ['COORDINATOR']],
      ['centreSupporter', 'centre', ['SUPPORTER']],
    ] as const) {
      const m = await f.member(org[o]!, [...roles]);
      u[name] = m.id;
      t[name] = (await api.tokens.issue(m.id)).token;
    }
    worker = await startWorkerBeside(api);

    const client = await ok('hwSupporter', REGISTER, {
      input: { familyName: '木村', givenName: '花', birthDate: '1990-01-01', prefectureCode: '13' },
    });
    s.case = client.registerClient.id;
    s.client = client.registerClient.client.id;
    const consent = await ok('hwSupporter', RECORD_CONSENT, {
      input: {
        clientId: s.client,
        recipientOrganizationIds: [org.centre],
        purposes: ['REFERRAL'],
        categories: ['IDENTITY'],
        method: 'WRITTEN',
        expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
      },
    });
    s.consent = consent.recordConsent.id;
  }, 60_000);
  afterAll(async () => {
    await worker?.kill();
    await api?.close();
  });

  it('1. a referral sent: the recipient’s coordinators are notified through the outbox, once', async () => {
    const d = await ok('hwSupporter', SEND, {
      input: { caseId: s.case, toOrganizationId: org.centre, reason: 'MEDICAL', sharedCategories: ['IDENTITY'] },
    });
    s.referral = d.sendReferral.id;
    const n = await eventually(async () => (await notificationsOf('centreCoordinator')).nodes[0]);
    expect(n).toMatchObject({
      kind: 'REFERRAL_RECEIVED',
      subjectType: 'Referral',
      subjectId: s.referral,
      message: 'ハローワーク渋谷から新しい紹介が届きました。',
      readAt: null,
    });
    // Supporters do not answer referrals; the sender's side hears nothing.
    expect((await notificationsOf('centreSupporter')).totalCount).toBe(0);
    expect((await notificationsOf('hwCoordinator')).totalCount).toBe(0);
    const relayed = await api.db.owner.query(`SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL`);
    expect(relayed.rows[0].n).toBe(0);
  });

  it('2. a user marks their own notification read; nobody else can, and the answer is NOT_FOUND', async () => {
    const [n] = (await notificationsOf('centreCoordinator')).nodes;
    expect(codes(await run('centreSupporter', MARK, { id: n!.id }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('hwCoordinator', MARK, { id: n!.id }))).toEqual(['NOT_FOUND']);
    const d = await ok('centreCoordinator', MARK, { id: n!.id });
    expect(d.markNotificationRead.readAt).toEqual(expect.any(String));
    expect((await notificationsOf('centreCoordinator', true)).totalCount).toBe(0);
  });

  it('3. unanswered by the respond-by date: the recipient’s coordinators, then the sender, each once', async () => {
    await due('REFERRAL_UNANSWERED', s.referral!);
    const n = await eventually(async () =>
      (await notificationsOf('centreCoordinator')).nodes.find((x) => x.kind === 'REFERRAL_UNANSWERED'),
    );
    expect(n.message).toContain('回答期限');
    await due('REFERRAL_UNANSWERED_SENDER', s.referral!);
    const sender = await eventually(async () =>
      (await notificationsOf('hwSupporter')).nodes.find((x) => x.kind === 'REFERRAL_UNANSWERED_SENDER'),
    );
    expect(sender.message).toContain('東京都難病相談・支援センターへの紹介');
    // The job run again (a retry, a second worker): handled already, no second notification.
    const { rows } = await api.db.owner.query(`SELECT id FROM reminders WHERE kind = 'REFERRAL_UNANSWERED'`);
    expect(await api.app.get(RemindersService).process(rows[0].id, org.hw!)).toBeNull();
    expect(await reminder('REFERRAL_UNANSWERED', s.referral!)).toEqual({
      status: 'DONE',
      outcome: 'recipient notified',
    });
    const all = (await notificationsOf('centreCoordinator')).nodes.filter((x) => x.kind === 'REFERRAL_UNANSWERED');
    expect(all).toHaveLength(1);
  });

  it('4. at expiry the consent is applied: the referral waiting on it is cancelled and the assignees told', async () => {
    await api.db.owner.query(
      `UPDATE consent_grants SET expires_at = now() - interval '1 second',
      granted_at = now() - interval '1 day' WHERE id = $1`,
      [s.consent],
    );
    await due('CONSENT_EXPIRED', s.consent!);
    await eventually(async () => (await reminder('CONSENT_EXPIRED', s.consent!)).status === 'DONE');
    const r = await ok('hwSupporter', REFERRAL, { id: s.referral });
    expect(r.referral).toMatchObject({ status: 'CANCELLED', statusReason: 'CONSENT_EXPIRED' });
    const n = await eventually(async () =>
      (await notificationsOf('hwSupporter')).nodes.find((x) => x.kind === 'CONSENT_EXPIRED'),
    );
    expect(n.message).toContain('紹介1件を取り消しました');
  });

  it('5. a follow-up seven days overdue becomes MISSED and the coordinator is told', async () => {
    const start = japanDate(new Date(Date.now() - 40 * 86400_000));
    const d = await ok('hwSupporter', PLACE, {
      input: {
        caseId: s.case,
        employerName: '株式会社サンプル',
        startDate: start,
        route: 'GENERAL_OPEN',
        weeklyHoursBand: 'FROM_30',
      },
    });
    const w2 = d.recordPlacement.followUps[0].id as string;
    // Its reminders were due long ago: the next sweep handles them.
    await eventually(async () => (await reminder('FOLLOW_UP_MISSED', w2))?.status === 'DONE');
    const { rows } = await api.db.owner.query('SELECT status FROM follow_ups WHERE id = $1', [w2]);
    expect(rows[0].status).toBe('MISSED');
    const n = await eventually(async () =>
      (await notificationsOf('hwCoordinator')).nodes.find(
        (x) => x.kind === 'FOLLOW_UP_MISSED' && x.message.includes('2週間'),
      ),
    );
    expect(n.subjectId).toBe(s.case);
  });

  it('6. the daily scan: a digest of stale cases for the coordinators, once a day', async () => {
    await api.db.owner.query(`UPDATE cases SET last_activity_at = now() - interval '61 days' WHERE id = $1`, [s.case]);
    const service = api.app.get(RemindersService);
    const today = japanDate();
    expect(await service.scheduleDaily(today)).toBeGreaterThan(0);
    expect(await service.scheduleDaily(today)).toBe(0);
    await api.db.owner.query(`UPDATE reminders SET due_at = now() - interval '1 minute' WHERE kind = 'STALE_CASES'`);
    const n = await eventually(async () =>
      (await notificationsOf('hwCoordinator')).nodes.find((x) => x.kind === 'STALE_CASES'),
    );
    expect(n.message).toBe('60日以上記録のない支援中のケースが1件あります。');
  });

  it('7. a handover on its date: not submitted is escalated once, and the assignments move whatever the status', async () => {
    const h = await ok('hwCoordinator', START, {
      input: { fromUserId: u.hwSupporter, toUserId: u.hwCoordinator, reason: 'RESIGNATION', effectiveOn: japanDate() },
    });
    const id = h.startHandover.id as string;
    await due('HANDOVER_NOT_SUBMITTED', id);
    const n = await eventually(async () =>
      (await notificationsOf('hwCoordinator')).nodes.find((x) => x.kind === 'HANDOVER_NOT_SUBMITTED'),
    );
    expect(n.subjectId).toBe(id);
    await due('HANDOVER_MOVE', id);
    await eventually(async () => (await reminder('HANDOVER_MOVE', id)).status === 'DONE');
    expect((await reminder('HANDOVER_MOVE', id)).outcome).toBe('moved');
    const c = await ok('hwCoordinator', CASE, { id: s.case });
    expect(c.case.assignees).toEqual([{ id: u.hwCoordinator }]);
    const { rows } = await api.db.owner.query(
      'SELECT escalated_unsubmitted_at, moved_at FROM handovers WHERE id = $1',
      [id],
    );
    expect(rows[0].escalated_unsubmitted_at).not.toBeNull();
    expect(rows[0].moved_at).not.toBeNull();
  });
});
