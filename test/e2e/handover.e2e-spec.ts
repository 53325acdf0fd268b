import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HandoversService } from '@tasuki/domain';
import { japanDate } from '@tasuki/platform';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { cast, type Data } from '../harness/cast.js';
import { factories } from '../harness/factories.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id status } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id status } }`;
const PLACE = `mutation($input: PlacementInput!) { recordPlacement(input: $input) { id phase } }`;
const HANDOVER_FIELDS = `id status reason effectiveOn overdue submittedAt overrideReason acknowledgedAt movedAt
  fromUser { id } toUser { id }`;
const START_MANY = `mutation($inputs: [StartHandoverInput!]!) { startHandovers(inputs: $inputs) {
  ${HANDOVER_FIELDS} notes { case { id } version situation } } }`;
const START = `mutation($input: StartHandoverInput!) { startHandover(input: $input) { ${HANDOVER_FIELDS} } }`;
const WRITE = `mutation($h: ID!, $c: ID!, $input: HandoverNoteInput!) {
  writeHandoverNote(handoverId: $h, caseId: $c, input: $input) {
    case { id } version situation nextActions actions { text dueOn } cautions keyContacts clientInformedOn
    writtenBy { id }
  }
}`;
const SUBMIT = `mutation($id: ID!, $override: String) { submitHandover(id: $id, overrideReason: $override) {
  ${HANDOVER_FIELDS} } }`;
const ACK = `mutation($id: ID!) { acknowledgeHandover(id: $id) { ${HANDOVER_FIELDS} } }`;
const REASSIGN = `mutation($id: ID!, $to: ID!) { reassignHandover(id: $id, toUserId: $to) { ${HANDOVER_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelHandover(id: $id, reason: "異動が取り消された") { ${HANDOVER_FIELDS} } }`;
const HANDOVER = `query($id: ID!) { handover(id: $id) {
  ${HANDOVER_FIELDS}
  notes {
    case { id } version situation nextActions actions { text dueOn } cautions keyContacts clientInformedOn pack
    packDetails {
      openReferrals { direction organizationName status respondBy }
      consents { status expiresAt expiringSoon purposes }
      upcomingFollowUps { milestone dueOn }
      recentEntries { kind summary }
      otherOrganizations { organizationId name kind }
    }
  }
} }`;
const HANDOVERS = `query($filter: HandoverFilter, $first: Int, $after: String) {
  handovers(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id status fromUser { id } }
  }
}`;
const ROTATION = `query($days: Int) { rotation(withinDays: $days) {
  withinDays endingTerms { user { id } termEndsOn openCaseCount uncoveredCaseCount }
  statusCounts { status count } overdueCount
} }`;
const CASE = `query($id: ID!) { case(id: $id) {
  id assignees { id } assignments { user { id } from to }
  client { id familyName }
  timeline(first: 50) { nodes { kind summary } }
} }`;

/** The next 1 April (the yearly rotation), and the day before it (the end of the one-year terms). */
function nextRotation(today = japanDate()): { april1: string; march31: string } {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const year = m >= 4 ? y + 1 : y;
  return { april1: `${year}-04-01`, march31: `${year}-03-31` };
}

/**
 * The 1 April rotation at a Hello Work office: the coordinator plans it for two leavers whose one-year terms end on
 * 31 March, the leavers write their notes, one submits without a note and is refused, the coordinator overrides it,
 * the successor reads the pack and acknowledges, and on the effective date the assignments move.
 */
describe('handover for staff rotation', () => {
  let api: TestApi;
  const t: Record<string, string> = {};
  const u: Record<string, string> = {};
  const org: Record<string, string> = {};
  const s: Record<string, string> = {};
  const { april1, march31 } = nextRotation();

  const { run, ok } = cast(() => api, t, org);
  /** Everything a refused handover operation could have changed. */
  const snapshot = async () =>
    (
      await api.db.owner.query(
        `SELECT (SELECT json_agg(h ORDER BY id) FROM handovers h) AS handovers,
                (SELECT json_agg(hc ORDER BY handover_id, case_id) FROM handover_cases hc) AS cases,
                (SELECT count(*) FROM handover_notes) AS notes,
                (SELECT json_agg(a ORDER BY id) FROM case_assignments a) AS assignments,
                (SELECT count(*) FROM timeline_entries) AS entries`,
      )
    ).rows[0];
  const register = async (who: string, familyName: string) => {
    const d = await ok(who, REGISTER, {
      input: { familyName, givenName: '太郎', birthDate: '1985-04-02', prefectureCode: '13' },
    });
    return { caseId: d.registerClient.id as string, clientId: d.registerClient.client.id as string };
  };

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク新宿', kind: 'HELLO_WORK' })).id;
    org.centre = (await f.organization({ name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    org.x = (await f.organization({ name: '別の機関', kind: 'NPO' })).id;
    const people: [string, string, ('SUPPORTER' | 'COORDINATOR')[], string?][] = [
      ['hwCoordinator', 'hw', ['COORDINATOR']],
      ['hwLeaverA', 'hw', ['SUPPORTER'], march31],
      ['hwLeaverB', 'hw', ['SUPPORTER'], march31],
      ['hwSuccessor', 'hw', ['SUPPORTER']],
      ['hwStandIn', 'hw', ['SUPPORTER']],
      ['hwThird', 'hw', ['SUPPORTER']],
      ['xCoordinator', 'x', ['COORDINATOR']],
    ];
    for (const [name, o, roles, termEndsOn] of people) {
      const m = await f.member(org[o]!, roles, termEndsOn ? { termEndsOn } : {});
      u[name] = m.id;
      t[name] = (await api.tokens.issue(m.id)).token;
    }
    const a1 = await register('hwLeaverA', '佐藤');
    const a2 = await register('hwLeaverA', '鈴木');
    const b1 = await register('hwLeaverB', '高橋');
    Object.assign(s, { a1: a1.caseId, a1Client: a1.clientId, a2: a2.caseId, b1: b1.caseId });
    // Client A1 consented to a referral to the centre; the consent expires in twenty days.
    const consent = await ok('hwLeaverA', RECORD_CONSENT, {
      input: {
        clientId: a1.clientId,
        recipientOrganizationIds: [org.centre],
        purposes: ['REFERRAL', 'INFO_SHARING'],
        categories: ['IDENTITY', 'CONTACT'],
        method: 'WRITTEN',
        expiresAt: new Date(Date.now() + 20 * 86400_000).toISOString(),
      },
    });
    s.consent = consent.recordConsent.id;
    const referral = await ok('hwLeaverA', SEND, {
      input: {
        caseId: a1.caseId,
        toOrganizationId: org.centre,
        reason: 'BALANCE_SUPPORT',
        sharedCategories: ['IDENTITY'],
      },
    });
    s.referral = referral.sendReferral.id;
    // Client A2 started work a week ago: five follow-ups are scheduled.
    s.placementStart = japanDate(new Date(Date.now() - 7 * 86400_000));
    await ok('hwLeaverA', PLACE, {
      input: {
        caseId: a2.caseId,
        employerName: '株式会社テスト',
        startDate: s.placementStart,
        route: 'DISABILITY_VACANCY',
        weeklyHoursBand: 'FROM_20_UNDER_30',
      },
    });
  });
  afterAll(() => api.close());

  it('1. the rotation view lists both leavers: terms ending 31 March with open cases and no handover', async () => {
    const d = await ok('hwCoordinator', ROTATION, { days: 366 });
    const ending = d.rotation.endingTerms.map((e: Data) => ({ ...e, user: e.user.id }));
    expect(ending).toEqual(
      expect.arrayContaining([
        { user: u.hwLeaverA, termEndsOn: march31, openCaseCount: 2, uncoveredCaseCount: 2 },
        { user: u.hwLeaverB, termEndsOn: march31, openCaseCount: 1, uncoveredCaseCount: 1 },
      ]),
    );
    expect(ending).toHaveLength(2);
    // A supporter does not run the rotation.
    expect(codes(await run('hwLeaverA', ROTATION, { days: 30 }))).toEqual(['FORBIDDEN']);
  });

  it('2. a bulk start with one bad line creates nothing and names the line', async () => {
    const before = await snapshot();
    const r = await run('hwCoordinator', START_MANY, {
      inputs: [
        { fromUserId: u.hwLeaverA, toUserId: u.hwSuccessor, reason: 'ROTATION', effectiveOn: april1 },
        { fromUserId: u.hwLeaverB, toUserId: u.xCoordinator, reason: 'TERM_END', effectiveOn: april1 },
      ],
    });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0]!.extensions!.field).toBe('inputs.1.toUserId');
    expect(await snapshot()).toEqual(before);
    const past = await run('hwCoordinator', START, {
      input: { fromUserId: u.hwLeaverA, toUserId: u.hwSuccessor, reason: 'ROTATION', effectiveOn: '2020-04-01' },
    });
    expect(past.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'effectiveOn' });
    const self = await run('hwCoordinator', START, {
      input: { fromUserId: u.hwLeaverA, toUserId: u.hwLeaverA, reason: 'ROTATION', effectiveOn: april1 },
    });
    expect(self.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'toUserId' });
    // A supporter may start only their own handover.
    const other = await run('hwThird', START, {
      input: { fromUserId: u.hwLeaverA, toUserId: u.hwThird, reason: 'ROTATION', effectiveOn: april1 },
    });
    expect(codes(other)).toEqual(['FORBIDDEN']);
    expect(await snapshot()).toEqual(before);
  });

  it('3. the coordinator starts both handovers at once: all the leavers’ open cases, DRAFT, on each timeline', async () => {
    const d = await ok('hwCoordinator', START_MANY, {
      inputs: [
        { fromUserId: u.hwLeaverA, toUserId: u.hwSuccessor, reason: 'ROTATION', effectiveOn: april1 },
        { fromUserId: u.hwLeaverB, toUserId: u.hwStandIn, reason: 'TERM_END', effectiveOn: april1 },
      ],
    });
    const [a, b] = d.startHandovers as Data[];
    expect(a).toMatchObject({ status: 'DRAFT', reason: 'ROTATION', effectiveOn: april1, overdue: null });
    expect(a!.notes.map((n: Data) => n.case.id)).toEqual([s.a1, s.a2]);
    expect(a!.notes.every((n: Data) => n.version === 0 && n.situation === null)).toBe(true);
    expect(b!.notes.map((n: Data) => n.case.id)).toEqual([s.b1]);
    s.ha = a!.id;
    s.hb = b!.id;
    const c = await ok('hwCoordinator', CASE, { id: s.a1 });
    expect(c.case.timeline.nodes[0]).toMatchObject({ kind: 'HANDOVER' });
    // The same cases cannot be in two live handovers.
    const again = await run('hwLeaverA', START, {
      input: { fromUserId: u.hwLeaverA, toUserId: u.hwThird, reason: 'ROTATION', effectiveOn: april1 },
    });
    expect(codes(again)).toEqual(['CONFLICT']);
    // The rotation view no longer lists them, and counts the drafts.
    const r = await ok('hwCoordinator', ROTATION, { days: 366 });
    expect(r.rotation.endingTerms).toEqual([]);
    expect(r.rotation.statusCounts).toContainEqual({ status: 'DRAFT', count: 2 });
  });

  it('4. before submission the coordinator names another successor for B', async () => {
    const d = await ok('hwCoordinator', REASSIGN, { id: s.hb, to: u.hwSuccessor });
    expect(d.reassignHandover.toUser.id).toBe(u.hwSuccessor);
    // Only a coordinator may.
    expect(codes(await run('hwLeaverB', REASSIGN, { id: s.hb, to: u.hwThird }))).toEqual(['FORBIDDEN']);
  });

  it('5. leaver A writes a note per case; a rewrite is a new version that keeps what it does not change', async () => {
    const due = japanDate(new Date(Date.now() + 10 * 86400_000));
    const first = await ok('hwLeaverA', WRITE, {
      h: s.ha,
      c: s.a1,
      input: {
        situation: '難病相談支援センターに両立支援の相談を依頼中。本人は週20時間程度の事務職を希望。',
        actions: [{ text: 'センターからの回答を確認し本人に連絡', dueOn: due }, { text: '求人票の再確認' }],
        cautions: '通院は月2回 (火曜午前)。疲れやすいため面談は1時間以内に。',
        keyContacts: '東京都難病相談・支援センター 相談員 田中さん',
        clientInformedOn: japanDate(),
      },
    });
    expect(first.writeHandoverNote).toMatchObject({
      version: 1,
      nextActions: ['センターからの回答を確認し本人に連絡', '求人票の再確認'],
      actions: [{ dueOn: due }, { dueOn: null }],
      writtenBy: { id: u.hwLeaverA },
    });
    const second = await ok('hwLeaverA', WRITE, {
      h: s.ha,
      c: s.a1,
      input: { situation: '両立支援の相談をセンターに依頼済み。回答待ち。' },
    });
    expect(second.writeHandoverNote).toMatchObject({
      version: 2,
      situation: '両立支援の相談をセンターに依頼済み。回答待ち。',
      cautions: '通院は月2回 (火曜午前)。疲れやすいため面談は1時間以内に。',
      nextActions: ['センターからの回答を確認し本人に連絡', '求人票の再確認'],
    });
    await ok('hwLeaverA', WRITE, { h: s.ha, c: s.a2, input: { situation: '職業準備性の評価中。', nextActions: [] } });
    // Both versions are kept.
    const { rows } = await api.db.owner.query(
      'SELECT version, situation FROM handover_notes WHERE handover_id = $1 AND case_id = $2 ORDER BY version',
      [s.ha, s.a1],
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('6. bad notes are refused with the field named and change nothing', async () => {
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ situation: 'x'.repeat(4001) }, 'situation'],
      [{ situation: '状況\u202Eテキスト' }, 'situation'],
      [{ actions: [{ text: '' }] }, 'actions.0.text'],
      [{ actions: [{ text: '確認', dueOn: '2001-01-01' }] }, 'actions.0.dueOn'],
      [{ nextActions: ['a'], actions: [{ text: 'b' }] }, 'actions'],
      [{ clientInformedOn: '2999-01-01' }, 'clientInformedOn'],
      [{}, 'input'],
    ];
    for (const [input, field] of cases) {
      const r = await run('hwLeaverA', WRITE, { h: s.ha, c: s.a1, input });
      expect({ field, error: r.errors?.[0]?.extensions }).toEqual({ field, error: { code: 'BAD_USER_INPUT', field } });
    }
    // A case the handover does not cover, and another organization's view of it: NOT_FOUND.
    expect(codes(await run('hwLeaverA', WRITE, { h: s.ha, c: s.b1, input: { situation: 'x' } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('7. B is submitted without a note: refused; the leaver cannot override; the coordinator can, with a reason', async () => {
    const before = await snapshot();
    const refused = await run('hwLeaverB', SUBMIT, { id: s.hb });
    expect(codes(refused)).toEqual(['INVALID_TRANSITION']);
    expect(refused.errors![0]!.message).toContain('1件');
    expect(codes(await run('hwLeaverB', SUBMIT, { id: s.hb, override: '退職日が早まったため' }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(await snapshot()).toEqual(before);
    const d = await ok('hwCoordinator', SUBMIT, { id: s.hb, override: '本人が急遽退職。口頭で引継ぎ済み。' });
    expect(d.submitHandover).toMatchObject({
      status: 'SUBMITTED',
      overrideReason: '本人が急遽退職。口頭で引継ぎ済み。',
    });
    const waived = await api.db.owner.query(
      `SELECT subject_id, actor_user_id FROM audit_events WHERE org_id = $1 AND action = 'handover.note.waived'`,
      [org.hw],
    );
    expect(waived.rows).toEqual([{ subject_id: s.b1, actor_user_id: u.hwCoordinator }]);
    // A is complete: the leaver submits it; after submission the notes are closed.
    const a = await ok('hwLeaverA', SUBMIT, { id: s.ha });
    expect(a.submitHandover.status).toBe('SUBMITTED');
    expect(codes(await run('hwLeaverA', WRITE, { h: s.ha, c: s.a1, input: { situation: 'x' } }))).toEqual([
      'INVALID_TRANSITION',
    ]);
    expect(codes(await run('hwLeaverA', SUBMIT, { id: s.ha }))).toEqual(['INVALID_TRANSITION']);
  });

  it('8. a third supporter can neither read nor acknowledge; another organization gets NOT_FOUND like a random id', async () => {
    const before = await snapshot();
    const random = await run('xCoordinator', HANDOVER, { id: '00000000-0000-4000-8000-000000000000' });
    for (const who of ['hwThird', 'xCoordinator']) {
      const read = await run(who, HANDOVER, { id: s.ha });
      expect(codes(read)).toEqual(['NOT_FOUND']);
      expect(read.errors![0]!.message).toBe(random.errors![0]!.message);
      expect(codes(await run(who, ACK, { id: s.ha }))).toEqual(['NOT_FOUND']);
      expect(codes(await run(who, CASE, { id: s.a1 }))).toEqual(['NOT_FOUND']);
      expect(codes(await run(who, WRITE, { h: s.ha, c: s.a1, input: { situation: 'x' } }))).toEqual(['NOT_FOUND']);
      const list = await ok(who, HANDOVERS, {});
      expect(list.handovers.totalCount).toBe(0);
    }
    expect(codes(await run('xCoordinator', SUBMIT, { id: s.hb }))).toEqual(['NOT_FOUND']);
    // The leaver reads their own handover but does not acknowledge it.
    expect(codes(await run('hwLeaverA', ACK, { id: s.ha }))).toEqual(['FORBIDDEN']);
    // Nor does the coordinator: only the successor acknowledges.
    expect(codes(await run('hwCoordinator', ACK, { id: s.ha }))).toEqual(['FORBIDDEN']);
    expect(await snapshot()).toEqual(before);
  });

  it('9. the successor reads the notes and the pack: the open referral and the consent expiring within 30 days', async () => {
    const d = await ok('hwSuccessor', HANDOVER, { id: s.ha });
    const [n1, n2] = d.handover.notes as Data[];
    expect(n1).toMatchObject({
      case: { id: s.a1 },
      version: 2,
      situation: '両立支援の相談をセンターに依頼済み。回答待ち。',
    });
    expect(n2).toMatchObject({ case: { id: s.a2 }, nextActions: [] });
    expect(n1!.packDetails.openReferrals).toEqual([
      {
        direction: 'OUTGOING',
        organizationName: '東京都難病相談・支援センター',
        status: 'SENT',
        respondBy: expect.any(String),
      },
    ]);
    expect(n1!.packDetails.consents).toEqual([
      { status: 'ACTIVE', expiresAt: expect.any(String), expiringSoon: true, purposes: ['REFERRAL', 'INFO_SHARING'] },
    ]);
    expect(n1!.packDetails.otherOrganizations).toEqual([
      { organizationId: org.centre, name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' },
    ]);
    expect(n1!.packDetails.recentEntries.length).toBe(5);
    expect(n1!.pack).toContain('東京都難病相談・支援センターへ送付');
    expect(n1!.pack).toContain('※30日以内に期限切れ');
    expect(n2!.pack).toContain('【進行中の紹介】\n・なし');
    expect(n2!.packDetails.upcomingFollowUps.map((f: Data) => f.milestone)).toEqual(['W2', 'M1', 'M3', 'M6', 'M12']);
    expect(n2!.pack).toContain('（2週間）');
    expect(n1!.packDetails.upcomingFollowUps).toEqual([]);
    // The successor may read the handed-over cases before the move; those reads are audited as HANDOVER.
    const c = await ok('hwSuccessor', CASE, { id: s.a1 });
    expect(c.case.client.familyName).toBe('佐藤');
    expect(c.case.assignees).toEqual([{ id: u.hwLeaverA }]);
    const purposes = await api.db.owner.query(
      `SELECT action, purpose FROM audit_events WHERE org_id = $1 AND actor_user_id = $2
        AND action IN ('client.read','timeline.read','handover.notes.read','handover.pack.read') ORDER BY action`,
      [org.hw, u.hwSuccessor],
    );
    expect(purposes.rows).toEqual([
      { action: 'client.read', purpose: 'HANDOVER' },
      { action: 'handover.notes.read', purpose: 'HANDOVER' },
      { action: 'handover.pack.read', purpose: 'HANDOVER' },
      { action: 'handover.pack.read', purpose: 'HANDOVER' },
      { action: 'timeline.read', purpose: 'HANDOVER' },
    ]);
    // The incoming list.
    const incoming = await ok('hwSuccessor', HANDOVERS, { filter: { incoming: true } });
    expect(incoming.handovers.totalCount).toBe(2);
  });

  it('10. the successor acknowledges both; before the effective date nothing moves yet', async () => {
    for (const id of [s.ha, s.hb]) {
      const d = await ok('hwSuccessor', ACK, { id });
      expect(d.acknowledgeHandover).toMatchObject({ status: 'ACKNOWLEDGED', movedAt: null });
      expect(d.acknowledgeHandover.acknowledgedAt).toEqual(expect.any(String));
    }
    expect(codes(await run('hwSuccessor', ACK, { id: s.ha }))).toEqual(['INVALID_TRANSITION']);
    const c = await ok('hwLeaverA', CASE, { id: s.a1 });
    expect(c.case.assignees).toEqual([{ id: u.hwLeaverA }]);
  });

  it('11. on the effective date the assignments move: the successor holds the cases, the leaver no longer sees them', async () => {
    const service = api.app.get(HandoversService);
    expect(await service.moveDueAssignments(org.hw, march31)).toEqual([]);
    expect((await service.moveDueAssignments(org.hw, april1)).sort()).toEqual([s.ha, s.hb].sort());
    // Run again (a retried job): nothing more happens.
    expect(await service.moveDueAssignments(org.hw, april1)).toEqual([]);
    for (const id of [s.a1, s.a2, s.b1]) {
      const d = await ok('hwSuccessor', CASE, { id });
      expect(d.case.assignees).toEqual([{ id: u.hwSuccessor }]);
      const history = d.case.assignments.map((a: Data) => ({ user: a.user.id, ended: a.to !== null }));
      expect(history).toEqual([
        { user: id === s.b1 ? u.hwLeaverB : u.hwLeaverA, ended: true },
        { user: u.hwSuccessor, ended: false },
      ]);
      expect(d.case.timeline.nodes[0].summary).toContain('引継ぎにより担当者が交代しました');
    }
    expect(codes(await run('hwLeaverA', CASE, { id: s.a1 }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('hwLeaverA', HANDOVER, { id: s.ha }))).toEqual(['NOT_FOUND']);
    const d = await ok('hwSuccessor', HANDOVER, { id: s.ha });
    expect(d.handover.movedAt).toEqual(expect.any(String));
    // Reads as the assignee are case management again.
    await ok('hwSuccessor', CASE, { id: s.a2 });
    const last = await api.db.owner.query(
      `SELECT purpose FROM audit_events WHERE org_id = $1 AND actor_user_id = $2 AND action = 'client.read'
        ORDER BY seq DESC LIMIT 1`,
      [org.hw, u.hwSuccessor],
    );
    expect(last.rows[0].purpose).toBe('CASE_MANAGEMENT');
    const audit = await api.db.owner.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action = 'handover.assignments_moved'`,
      [org.hw],
    );
    expect(audit.rows[0].n).toBe(2);
  });

  it('12. an acknowledgment on or after the effective date moves the assignments in the same transaction', async () => {
    const c = await register('hwThird', '伊藤');
    const today = japanDate();
    const h = await ok('hwThird', START, {
      input: { fromUserId: u.hwThird, toUserId: u.hwStandIn, reason: 'REASSIGNMENT', effectiveOn: today },
    });
    expect(h.startHandover.overdue).toBe('NOT_SUBMITTED');
    const overdue = await ok('hwCoordinator', HANDOVERS, { filter: { overdue: true } });
    expect(overdue.handovers.nodes.map((n: Data) => n.id)).toEqual([h.startHandover.id]);
    await ok('hwThird', WRITE, { h: h.startHandover.id, c: c.caseId, input: { situation: '担当替え' } });
    await ok('hwThird', SUBMIT, { id: h.startHandover.id });
    const d = await ok('hwStandIn', ACK, { id: h.startHandover.id });
    expect(d.acknowledgeHandover).toMatchObject({ status: 'ACKNOWLEDGED', movedAt: expect.any(String) });
    const moved = await ok('hwStandIn', CASE, { id: c.caseId });
    expect(moved.case.assignees).toEqual([{ id: u.hwStandIn }]);
  });

  it('13. a handover still in DRAFT moves on its date anyway; a cancelled one never does', async () => {
    const service = api.app.get(HandoversService);
    const c1 = await register('hwStandIn', '渡辺');
    const c2 = await register('hwThird', '中村');
    const today = japanDate();
    const draft = await ok('hwCoordinator', START, {
      input: {
        fromUserId: u.hwStandIn,
        toUserId: u.hwSuccessor,
        reason: 'RESIGNATION',
        effectiveOn: today,
        caseIds: [c1.caseId],
      },
    });
    const cancelled = await ok('hwCoordinator', START, {
      input: {
        fromUserId: u.hwThird,
        toUserId: u.hwSuccessor,
        reason: 'ROTATION',
        effectiveOn: today,
        caseIds: [c2.caseId],
      },
    });
    expect(codes(await run('hwThird', CANCEL, { id: cancelled.startHandover.id }))).toEqual(['FORBIDDEN']);
    const x = await ok('hwCoordinator', CANCEL, { id: cancelled.startHandover.id });
    expect(x.cancelHandover.status).toBe('CANCELLED');
    expect(await service.moveDueAssignments(org.hw, today)).toEqual([draft.startHandover.id]);
    expect((await ok('hwCoordinator', CASE, { id: c1.caseId })).case.assignees).toEqual([{ id: u.hwSuccessor }]);
    expect((await ok('hwCoordinator', CASE, { id: c2.caseId })).case.assignees).toEqual([{ id: u.hwThird }]);
    // A cancelled handover's case may be handed over again.
    const again = await ok('hwThird', START, {
      input: {
        fromUserId: u.hwThird,
        toUserId: u.hwSuccessor,
        reason: 'ROTATION',
        effectiveOn: april1,
        caseIds: [c2.caseId],
      },
    });
    expect(again.startHandover.status).toBe('DRAFT');
  });

  it('14. the list pages by effective date with a cursor, and filters by status', async () => {
    const all = await ok('hwCoordinator', HANDOVERS, { first: 2 });
    expect(all.handovers.totalCount).toBe(6);
    expect(all.handovers.pageInfo.hasNextPage).toBe(true);
    const rest = await ok('hwCoordinator', HANDOVERS, { first: 10, after: all.handovers.pageInfo.endCursor });
    const ids = [...all.handovers.nodes, ...rest.handovers.nodes].map((n: Data) => n.id);
    expect(new Set(ids).size).toBe(6);
    const acknowledged = await ok('hwCoordinator', HANDOVERS, { filter: { status: ['ACKNOWLEDGED'] } });
    expect(acknowledged.handovers.totalCount).toBe(3);
    expect(codes(await run('hwCoordinator', HANDOVERS, { after: 'garbage' }))).toEqual(['BAD_USER_INPUT']);
  });
});
