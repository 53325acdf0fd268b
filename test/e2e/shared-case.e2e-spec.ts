import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditService } from '@tasuki/domain';
import { addBusinessDays, Database, japanDate } from '@tasuki/platform';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { cast, type Data } from '../harness/cast.js';
import { factories } from '../harness/factories.js';

const REGISTER = `mutation($input: RegisterClientInput!) {
  registerClient(input: $input) {
    id status phase openReferralCount assignees { id }
    client { id familyName givenName phone designatedDiseaseNumbers redactedFields }
  }
}`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) {
  recordConsent(input: $input) { id status purposes categories recipients { id } client { id } }
}`;
const WITHDRAW = `mutation($id: ID!, $reason: String!) { withdrawConsent(id: $id, reason: $reason) { id status withdrawnAt } }`;
const SEND = `mutation($input: SendReferralInput!) {
  sendReferral(input: $input) { id status respondBy sharedCategories sentAt fromCase { id } toCase { id } }
}`;
const REFERRAL = `query($id: ID!) {
  referral(id: $id) {
    id status statusReason receivedAt fromCase { id } toCase { id }
    fromOrganization { id } toOrganization { id }
    client { id familyName phone designatedDiseaseNumbers redactedFields }
    history { fromStatus toStatus }
  }
}`;
const ACCEPT = `mutation($id: ID!, $assignee: ID) {
  acceptReferral(id: $id, assigneeId: $assignee) { id status toCase { id status assignees { id } } }
}`;
const DECLINE = `mutation($id: ID!) { declineReferral(id: $id, code: NO_CAPACITY, reason: "受入枠がありません") { id status } }`;
const CANCEL = `mutation($id: ID!) { cancelReferral(id: $id, reason: "本人の希望により取消") { id status } }`;
const COMPLETE = `mutation($id: ID!) { completeReferral(id: $id, outcome: "職業評価を実施しました") { id status } }`;
const CLIENT = `query($id: ID!) {
  client(id: $id) {
    id familyName givenName familyNameKana birthDate phone email designatedDiseaseNumbers disabilityCertificate
    disclosure redactedFields
    consents { id status }
    provisions { recipient { id } categories referralId consent { id } }
    sharedNotes { kind summary organization { id } }
  }
}`;
const CASE = `query($id: ID!) {
  case(id: $id) {
    id status assignees { id } openReferralCount
    client { id familyName phone designatedDiseaseNumbers redactedFields }
    timeline(first: 50) { totalCount nodes { kind summary body author { id } organization { id } } }
  }
}`;
const ADD_ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id kind summary } }`;
const ASSIGN = `mutation($c: ID!, $u: ID!) { assignCase(caseId: $c, userId: $u) { id assignees { id } } }`;
const CLOSE = `mutation($c: ID!) { closeCase(caseId: $c, reason: "就職により終結") { id status phase } }`;

/**
 * The shared case as the field lives it: a Hello Work supporter registers a client with a designated disease, records
 * written consent, refers the client to the prefecture's disease support centre, the centre opens and accepts it and
 * sees only what was both shared and consented; the client withdraws consent and the walls close at once.
 */
describe('the shared case: clients, consent and referrals', () => {
  let api: TestApi;
  const t: Record<string, string> = {};
  const u: Record<string, string> = {};
  const org: Record<string, string> = {};
  const story: Record<string, string> = {};

  const { run, ok } = cast(() => api, t, org);
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await api.db.owner.query(`SELECT count(*) AS n FROM ${sql}`, params)).rows[0].n);
  /** Everything a refused operation could have changed, to show that it changed nothing. */
  const snapshot = async () =>
    (
      await api.db.owner.query(
        `SELECT (SELECT json_agg(r ORDER BY id) FROM referrals r) AS referrals,
                (SELECT count(*) FROM referral_transitions) AS transitions,
                (SELECT count(*) FROM timeline_entries) AS entries,
                (SELECT json_agg(g ORDER BY id) FROM consent_grants g) AS grants,
                (SELECT json_agg(c ORDER BY id) FROM cases c) AS cases,
                (SELECT count(*) FROM case_assignments) AS assignments,
                (SELECT count(*) FROM data_provisions) AS provisions`,
      )
    ).rows[0];

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク横浜', kind: 'HELLO_WORK', prefectureCode: '14' })).id;
    org.centre = (
      await f.organization({
        name: '神奈川県難病相談支援センター',
        kind: 'DISEASE_SUPPORT_CENTER',
        prefectureCode: '14',
      })
    ).id;
    org.hospital = (await f.organization({ name: '横浜市立病院', kind: 'HOSPITAL', prefectureCode: '14' })).id;
    org.voc = (await f.organization({ name: '神奈川障害者職業センター', kind: 'VOCATIONAL_CENTER' })).id;
    org.x = (await f.organization({ name: '別の県の機関', kind: 'NPO', prefectureCode: '27' })).id;
    org.npo = (await f.organization({ name: '就労支援NPO', kind: 'NPO', prefectureCode: '14' })).id;
    const people: [string, string, ('SUPPORTER' | 'COORDINATOR' | 'ANALYST' | 'ORG_ADMIN')[]][] = [
      ['hwSupporter', 'hw', ['SUPPORTER']],
      ['hwOtherSupporter', 'hw', ['SUPPORTER']],
      ['hwCoordinator', 'hw', ['COORDINATOR']],
      ['hwAnalyst', 'hw', ['ANALYST']],
      ['hwAdmin', 'hw', ['ORG_ADMIN']],
      ['centreCoordinator', 'centre', ['COORDINATOR']],
      ['centreSupporter', 'centre', ['SUPPORTER']],
      ['hospitalCoordinator', 'hospital', ['COORDINATOR']],
      ['xCoordinator', 'x', ['COORDINATOR', 'ORG_ADMIN']],
      ['npoCoordinator', 'npo', ['COORDINATOR']],
    ];
    for (const [name, o, roles] of people) {
      const m = await f.member(org[o]!, roles);
      u[name] = m.id;
      t[name] = (await api.tokens.issue(m.id)).token;
    }
  });
  afterAll(() => api.close());

  it('1. a Hello Work supporter registers a client with a designated disease; the case is assigned to them', async () => {
    const d = await ok('hwSupporter', REGISTER, {
      input: {
        familyName: '山田',
        givenName: '花子',
        familyNameKana: 'ﾔﾏﾀﾞ',
        givenNameKana: 'ハナコ',
        birthDate: '1988-06-15',
        sex: 'FEMALE',
        prefectureCode: '14',
        municipalityCode: '141003',
        phone: '045-000-1234',
        email: 'hanako@example.jp',
        designatedDiseaseNumbers: [13],
        disabilityCertificate: 'NONE',
        disclosure: 'PARTIAL',
      },
    });
    expect(d.registerClient).toMatchObject({
      status: 'OPEN',
      phase: 'INTAKE',
      openReferralCount: 0,
      assignees: [{ id: u.hwSupporter }],
      client: { familyName: '山田', phone: '045-000-1234', designatedDiseaseNumbers: [13], redactedFields: [] },
    });
    story.case = d.registerClient.id;
    story.client = d.registerClient.client.id;
    const c = await ok('hwSupporter', CLIENT, { id: story.client });
    expect(c.client.familyNameKana).toBe('ヤマダ');
  });

  it('2. records written consent naming the centre and a hospital for REFERRAL and INFO_SHARING, not HEALTH', async () => {
    const d = await ok('hwSupporter', RECORD_CONSENT, {
      input: {
        clientId: story.client,
        recipientOrganizationIds: [org.centre, org.hospital],
        purposes: ['REFERRAL', 'INFO_SHARING'],
        categories: ['IDENTITY', 'CONTACT', 'EMPLOYMENT'],
        method: 'WRITTEN',
        evidenceRef: '同意書 2026-0042',
        expiresAt: new Date(Date.now() + 365 * 86400_000).toISOString(),
      },
    });
    expect(d.recordConsent).toMatchObject({ status: 'ACTIVE', client: { id: story.client } });
    expect(d.recordConsent.recipients.map((o: Data) => o.id).sort()).toEqual([org.centre, org.hospital].sort());
    story.consent = d.recordConsent.id;
  });

  it('3. refuses a referral sharing a category the consent does not cover, or to an organization it does not name', async () => {
    const before = await snapshot();
    const health = await run('hwSupporter', SEND, {
      input: { caseId: story.case, toOrganizationId: org.centre, reason: 'MEDICAL', sharedCategories: ['HEALTH'] },
    });
    expect(codes(health)).toEqual(['CONSENT_REQUIRED']);
    const unnamed = await run('hwSupporter', SEND, {
      input: { caseId: story.case, toOrganizationId: org.voc, reason: 'ASSESSMENT', sharedCategories: ['IDENTITY'] },
    });
    expect(codes(unnamed)).toEqual(['CONSENT_REQUIRED']);
    expect(await snapshot()).toEqual(before);
  });

  it('4. sends the referral to the centre: SENT, due in five business days, with a data provision record', async () => {
    const d = await ok('hwSupporter', SEND, {
      input: {
        caseId: story.case,
        toOrganizationId: org.centre,
        reason: 'BALANCE_SUPPORT',
        message: '治療と仕事の両立について相談をお願いします。',
        sharedCategories: ['IDENTITY', 'CONTACT'],
      },
    });
    expect(d.sendReferral).toMatchObject({
      status: 'SENT',
      respondBy: addBusinessDays(japanDate(), 5),
      fromCase: { id: story.case },
      toCase: null,
    });
    story.referral = d.sendReferral.id;
    const c = await ok('hwSupporter', CLIENT, { id: story.client });
    expect(c.client.provisions).toEqual([
      {
        recipient: { id: org.centre },
        categories: ['IDENTITY', 'CONTACT'],
        referralId: story.referral,
        consent: { id: story.consent },
      },
    ]);
  });

  it('5. the centre’s coordinator opens it: RECEIVED, and nothing of the client is visible before accepting', async () => {
    const d = await ok('centreCoordinator', REFERRAL, { id: story.referral });
    expect(d.referral).toMatchObject({ status: 'RECEIVED', fromCase: null, toCase: null });
    expect(d.referral.client.familyName).toBeNull();
    expect(d.referral.client.redactedFields).toContain('familyName');
    expect(d.referral.history.map((h: Data) => h.toStatus)).toEqual(['SENT', 'RECEIVED']);
    const sender = await ok('hwSupporter', REFERRAL, { id: story.referral });
    expect(sender.referral.status).toBe('RECEIVED');
    expect(sender.referral.receivedAt).not.toBeNull();
    // A second read is a read, not another transition.
    await ok('centreCoordinator', REFERRAL, { id: story.referral });
    expect(await count('referral_transitions WHERE referral_id = $1', [story.referral])).toBe(2);
  });

  it('6. accepts it with an assignee, and sees name and phone but a null disease list named in redactedFields', async () => {
    const d = await ok('centreCoordinator', ACCEPT, { id: story.referral, assignee: u.centreSupporter });
    expect(d.acceptReferral).toMatchObject({
      status: 'ACCEPTED',
      toCase: { status: 'OPEN', assignees: [{ id: u.centreSupporter }] },
    });
    story.centreCase = d.acceptReferral.toCase.id;
    const c = await ok('centreCoordinator', CLIENT, { id: story.client });
    expect(c.client).toMatchObject({
      familyName: '山田',
      givenName: '花子',
      phone: '045-000-1234',
      designatedDiseaseNumbers: null,
      disabilityCertificate: null,
      disclosure: null, // consented (EMPLOYMENT) but not shared by the referral
    });
    expect(c.client.redactedFields).toEqual(
      expect.arrayContaining(['designatedDiseaseNumbers', 'disabilityCertificate', 'disclosure']),
    );
    expect(c.client.redactedFields).not.toContain('phone');
    expect(c.client.provisions).toEqual([]); // the provision records are the provider's
    expect(c.client.sharedNotes).toEqual([]); // NOTES was neither shared nor consented
    const viaCase = await ok('centreSupporter', CASE, { id: story.centreCase });
    expect(viaCase.case.client.phone).toBe('045-000-1234');
    expect(viaCase.case.timeline.nodes.map((n: Data) => n.kind)).toEqual(
      expect.arrayContaining(['REFERRAL_SENT', 'REFERRAL_RECEIVED', 'REFERRAL_ACCEPTED']),
    );
  });

  it('7. writes every read of personal fields to the audit log with the fields and the purpose', async () => {
    const { rows } = await api.db.owner.query(
      `SELECT fields, purpose FROM audit_events WHERE org_id = $1 AND action = 'client.read' AND subject_id = $2
        ORDER BY seq DESC LIMIT 1`,
      [org.centre, story.client],
    );
    expect(rows[0].purpose).toBe('INFO_SHARING');
    expect(rows[0].fields).toEqual(expect.arrayContaining(['familyName', 'phone']));
    expect(rows[0].fields).not.toContain('designatedDiseaseNumbers'); // redacted fields were not read
    const timeline = await count(`audit_events WHERE org_id = $1 AND action = 'timeline.read' AND subject_id = $2`, [
      org.centre,
      story.centreCase,
    ]);
    expect(timeline).toBeGreaterThan(0);
  });

  it('8. a supporter not assigned to the case gets NOT_FOUND for it, its client and its referral', async () => {
    const before = await snapshot();
    for (const [q, v] of [
      [CASE, { id: story.case }],
      [CLIENT, { id: story.client }],
      [REFERRAL, { id: story.referral }],
      [ADD_ENTRY, { input: { caseId: story.case, kind: 'NOTE', summary: '見えないはず' } }],
      [
        SEND,
        {
          input: {
            caseId: story.case,
            toOrganizationId: org.hospital,
            reason: 'MEDICAL',
            sharedCategories: ['IDENTITY'],
          },
        },
      ],
      [CANCEL, { id: story.referral }],
    ] as const) {
      expect(codes(await run('hwOtherSupporter', q, v))).toEqual(['NOT_FOUND']);
    }
    const list = await ok('hwOtherSupporter', `{ cases { totalCount nodes { id } } }`);
    expect(list.cases.totalCount).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it('9. another organization’s coordinator gets NOT_FOUND for every id of this story, as for ids that do not exist', async () => {
    const before = await snapshot();
    const missing = '00000000-0000-4000-8000-000000000000';
    const attempts: [string, (id: string) => Record<string, unknown>, string][] = [
      [CASE, (id) => ({ id }), story.case!],
      [CASE, (id) => ({ id }), story.centreCase!],
      [CLIENT, (id) => ({ id }), story.client!],
      [REFERRAL, (id) => ({ id }), story.referral!],
      [ACCEPT, (id) => ({ id }), story.referral!],
      [DECLINE, (id) => ({ id }), story.referral!],
      [CANCEL, (id) => ({ id }), story.referral!],
      [COMPLETE, (id) => ({ id }), story.referral!],
      [WITHDRAW, (id) => ({ id, reason: '撤回' }), story.consent!],
      [ADD_ENTRY, (id) => ({ input: { caseId: id, kind: 'NOTE', summary: 'x' } }), story.case!],
      [ASSIGN, (id) => ({ c: id, u: u.xCoordinator }), story.case!],
      [CLOSE, (id) => ({ c: id }), story.case!],
      [
        RECORD_CONSENT,
        (id) => ({
          input: {
            clientId: id,
            recipientOrganizationIds: [org.hw],
            purposes: ['REFERRAL'],
            categories: ['IDENTITY'],
            method: 'WRITTEN',
          },
        }),
        story.client!,
      ],
    ];
    for (const [query, vars, id] of attempts) {
      const real = await run('xCoordinator', query, vars(id));
      const none = await run('xCoordinator', query, vars(missing));
      expect(codes(real)).toEqual(['NOT_FOUND']);
      expect(real.errors![0]!.message).toBe(none.errors![0]!.message);
      expect(real.data).toEqual(none.data);
    }
    const lists = await ok(
      'xCoordinator',
      `{ cases { totalCount } incoming: referrals(direction: INCOMING) { totalCount }
      outgoing: referrals(direction: OUTGOING) { totalCount } }`,
    );
    expect(lists).toEqual({ cases: { totalCount: 0 }, incoming: { totalCount: 0 }, outgoing: { totalCount: 0 } });
    expect(await snapshot()).toEqual(before);
  });

  it('10. an analyst and an organization admin read no client and no case', async () => {
    for (const who of ['hwAnalyst', 'hwAdmin']) {
      expect(codes(await run(who, CLIENT, { id: story.client }))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, CASE, { id: story.case }))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, `{ cases { totalCount } }`))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, REFERRAL, { id: story.referral }))).toEqual(['FORBIDDEN']);
    }
  });

  it('11. answers INVALID_TRANSITION for every transition the state machine does not allow, changing nothing', async () => {
    const before = await snapshot();
    const refused: [string, string, Record<string, unknown>][] = [
      ['centreCoordinator', ACCEPT, { id: story.referral }], // already accepted
      ['centreCoordinator', DECLINE, { id: story.referral }], // accepted cannot be declined
    ];
    for (const [who, q, v] of refused) {
      const r = await run(who, q, v);
      expect({ q, codes: codes(r) }).toEqual({ q, codes: ['INVALID_TRANSITION'] });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('11b. shares the Hello Work timeline with an NPO only when a referral shares NOTES under a grant covering it', async () => {
    const g = await ok('hwSupporter', RECORD_CONSENT, {
      input: {
        clientId: story.client,
        recipientOrganizationIds: [org.npo],
        purposes: ['REFERRAL'],
        categories: ['IDENTITY', 'NOTES'],
        method: 'ELECTRONIC',
      },
    });
    story.npoConsent = g.recordConsent.id;
    const r = await ok('hwSupporter', SEND, {
      input: { caseId: story.case, toOrganizationId: org.npo, reason: 'PEER_SUPPORT', sharedCategories: ['NOTES'] },
    });
    await ok('npoCoordinator', ACCEPT, { id: r.sendReferral.id });
    const seen = await ok('npoCoordinator', CLIENT, { id: story.client });
    expect(seen.client.familyName).toBeNull(); // IDENTITY consented but not shared
    expect(seen.client.sharedNotes.length).toBeGreaterThan(0);
    expect(seen.client.sharedNotes.every((n: Data) => n.organization.id === org.hw)).toBe(true);
    expect(seen.client.sharedNotes.map((n: Data) => n.kind)).toContain('INTAKE');
    await ok('hwSupporter', WITHDRAW, { id: story.npoConsent, reason: 'NPOへの共有をやめたい' });
    const after = await ok('npoCoordinator', CLIENT, { id: story.client });
    expect(after.client.sharedNotes).toEqual([]);
  });

  it('12. sends a second referral to the hospital, which stays pending', async () => {
    const d = await ok('hwCoordinator', SEND, {
      input: { caseId: story.case, toOrganizationId: org.hospital, reason: 'MEDICAL', sharedCategories: ['IDENTITY'] },
    });
    story.hospitalReferral = d.sendReferral.id;
    const c = await ok('hwCoordinator', CASE, { id: story.case });
    expect(c.case.openReferralCount).toBe(3); // centre (accepted), NPO (accepted), hospital (sent)
    // A completed referral cannot be sent again while one is open to the same organization.
    const again = await run('hwCoordinator', SEND, {
      input: { caseId: story.case, toOrganizationId: org.hospital, reason: 'MEDICAL', sharedCategories: ['IDENTITY'] },
    });
    expect(codes(again)).toEqual(['CONFLICT']);
  });

  it('13. the client withdraws consent: the centre loses the fields at once and the pending referral is cancelled', async () => {
    const d = await ok('hwSupporter', WITHDRAW, { id: story.consent, reason: '本人の申し出により撤回' });
    expect(d.withdrawConsent.status).toBe('WITHDRAWN');

    const centre = await ok('centreCoordinator', CLIENT, { id: story.client });
    expect(centre.client).toMatchObject({ familyName: null, givenName: null, phone: null });
    expect(centre.client.redactedFields).toEqual(expect.arrayContaining(['familyName', 'givenName', 'phone']));
    const centreCase = await ok('centreCoordinator', CASE, { id: story.centreCase });
    expect(centreCase.case.status).toBe('OPEN'); // the centre keeps its own case and timeline
    expect(centreCase.case.timeline.nodes.map((n: Data) => n.kind)).toContain('CONSENT_WITHDRAWN');

    const hospital = await ok('hwCoordinator', REFERRAL, { id: story.hospitalReferral });
    expect(hospital.referral).toMatchObject({ status: 'CANCELLED', statusReason: 'CONSENT_WITHDRAWN' });
    const accepted = await ok('hwCoordinator', REFERRAL, { id: story.referral });
    expect(accepted.referral.status).toBe('ACCEPTED');

    const own = await ok('hwSupporter', CASE, { id: story.case });
    expect(own.case.timeline.nodes.map((n: Data) => n.kind)).toEqual(
      expect.arrayContaining(['CONSENT_WITHDRAWN', 'REFERRAL_CANCELLED']),
    );
    expect(await count(`timeline_entries WHERE org_id = $1 AND kind = 'REFERRAL_CANCELLED'`, [org.hospital])).toBe(1);

    // Sending again now needs a new consent.
    const after = await run('hwSupporter', SEND, {
      input: { caseId: story.case, toOrganizationId: org.voc, reason: 'ASSESSMENT', sharedCategories: ['IDENTITY'] },
    });
    expect(codes(after)).toEqual(['CONSENT_REQUIRED']);
    // The owner still reads everything; the provision records stay.
    const mine = await ok('hwSupporter', CLIENT, { id: story.client });
    expect(mine.client.familyName).toBe('山田');
    expect(mine.client.provisions).toHaveLength(3); // centre, NPO, hospital
  });

  it('14. refuses the transitions terminal states do not allow, and a second withdrawal', async () => {
    const before = await snapshot();
    const refused: [string, string, Record<string, unknown>][] = [
      ['hwCoordinator', CANCEL, { id: story.hospitalReferral }],
      ['hospitalCoordinator', ACCEPT, { id: story.hospitalReferral }],
      ['hospitalCoordinator', DECLINE, { id: story.hospitalReferral }],
      ['hospitalCoordinator', COMPLETE, { id: story.hospitalReferral }],
      ['hwSupporter', WITHDRAW, { id: story.consent, reason: 'もう一度' }],
    ];
    for (const [who, q, v] of refused) {
      const r = await run(who, q, v);
      expect({ q, codes: codes(r) }).toEqual({ q, codes: ['INVALID_TRANSITION'] });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('15. the centre completes its referral; the Hello Work case is closed once, not twice', async () => {
    const done = await ok('centreSupporter', COMPLETE, { id: story.referral });
    expect(done.completeReferral.status).toBe('COMPLETED');
    const closed = await ok('hwCoordinator', CLOSE, { c: story.case });
    expect(closed.closeCase).toMatchObject({ status: 'CLOSED', phase: 'CLOSED' });
    const before = await snapshot();
    expect(codes(await run('hwCoordinator', CLOSE, { c: story.case }))).toEqual(['INVALID_TRANSITION']);
    expect(
      codes(await run('hwSupporter', ADD_ENTRY, { input: { caseId: story.case, kind: 'NOTE', summary: 'x' } })),
    ).toEqual(['INVALID_TRANSITION']);
    expect(await snapshot()).toEqual(before);
  });

  it('16. the audit chains verify, and an event altered by the owner role in SQL is detected', async () => {
    const db = api.app.get(Database);
    const audit = api.app.get(AuditService);
    const verify = (orgId: string) => db.run({ orgId, userId: null }, (tx) => audit.verifyChain(tx, orgId));
    for (const o of [org.hw!, org.centre!, org.hospital!]) expect((await verify(o)).ok).toBe(true);
    const hw = await verify(org.hw!);
    expect(hw.ok && hw.length).toBeGreaterThan(10);
    const { rows } = await api.db.owner.query(
      `SELECT seq FROM audit_events WHERE org_id = $1 AND action = 'client.read' ORDER BY seq LIMIT 1`,
      [org.hw],
    );
    await api.db.owner.query(`UPDATE audit_events SET fields = '{}' WHERE org_id = $1 AND seq = $2`, [
      org.hw,
      rows[0].seq,
    ]);
    expect(await verify(org.hw!)).toEqual({ ok: false, brokenAt: Number(rows[0].seq) });
  });
});
