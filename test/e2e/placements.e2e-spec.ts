import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Database, japanDate } from '@tasuki/platform';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories } from '../harness/factories.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id } }`;
const CASE_FIELDS = `id status phase nextFollowUpAt nextFollowUpOn
  placements { id employerName startDate employmentType route weeklyHoursBand separatedOn separationReason
    followUps { id milestone } }
  followUps { id placementId milestone dueOn status doneAt method statusChangedAt }`;
const PLACE = `mutation($input: PlacementInput!) { recordPlacement(input: $input) { ${CASE_FIELDS} } }`;
const CASE = `query($id: ID!) { case(id: $id) { ${CASE_FIELDS}
  timeline(first: 20) { nodes { kind summary body occurredAt } } } }`;
const FOLLOW_UP = `mutation($id: ID!, $input: FollowUpInput!) {
  recordFollowUp(id: $id, input: $input) { id milestone status doneAt method statusChangedAt }
}`;
const SEPARATE = `mutation($id: ID!, $input: SeparationInput!) {
  recordSeparation(id: $id, input: $input) { id separatedOn separationReason separationRecordedAt
    followUps { milestone status } }
}`;
const CLOSE = `mutation($c: ID!) { closeCase(caseId: $c, reason: "支援終了") { id status nextFollowUpAt } }`;
const LIST = `query($first: Int) { cases(first: $first) { nodes { id nextFollowUpAt nextFollowUpOn } } }`;

type Data = Record<string, any>;
type FollowUp = { id: string; milestone: string; dueOn: string; status: string; placementId: string };

const MISSING = '00000000-0000-4000-8000-000000000000';
const EMPLOYER = '株式会社テスト精機';

/** The instant a date begins in Japan, as the DateTime scalar prints it. */
const tokyoMidnight = (date: string) => new Date(`${date}T00:00:00+09:00`).toISOString();
const daysFromToday = (n: number) => japanDate(new Date(Date.now() + n * 86400_000));

/**
 * Placements and follow-ups (就職・定着支援): recording a placement schedules the five follow-ups with calendar-month
 * arithmetic, follow-ups are recorded as done, a separation cancels what was still to come, and the walls hold.
 */
describe('placements and follow-ups', () => {
  let api: TestApi;
  const t: Record<string, string> = {};
  const u: Record<string, string> = {};

  const run = (who: string, query: string, variables: Record<string, unknown> = {}) =>
    api.gql<Data>(query, variables, { token: t[who]! });
  const ok = async (who: string, query: string, variables: Record<string, unknown> = {}) => {
    const r = await run(who, query, variables);
    expect(r.errors).toBeUndefined();
    return r.data!;
  };
  /** A fresh case of org A, assigned to the supporter who registers it. */
  const newCase = async () =>
    (
      await ok('supporter', REGISTER, {
        input: { familyName: '鈴木', givenName: '一郎', birthDate: '1985-04-01', prefectureCode: '13' },
      })
    ).registerClient.id as string;
  const placement = (caseId: string, over: Record<string, unknown> = {}) => ({
    caseId,
    employerName: EMPLOYER,
    startDate: '2025-01-31',
    route: 'DISABILITY_VACANCY',
    weeklyHoursBand: 'FROM_20_UNDER_30',
    ...over,
  });
  /** A case with a placement recorded by its supporter; returns the case as recordPlacement answered. */
  const placedCase = async (over: Record<string, unknown> = {}) => {
    const caseId = await newCase();
    return (await ok('supporter', PLACE, { input: placement(caseId, over) })).recordPlacement as Data;
  };
  const dueDates = (c: Data) => Object.fromEntries(c.followUps.map((f: FollowUp) => [f.milestone, f.dueOn]));
  const followUp = (c: Data, milestone: string) => c.followUps.find((f: FollowUp) => f.milestone === milestone)!;
  /** Everything a refused operation could have changed. */
  const snapshot = async () =>
    (
      await api.db.owner.query(
        `SELECT (SELECT json_agg(p ORDER BY id) FROM placements p) AS placements,
                (SELECT json_agg(f ORDER BY id) FROM follow_ups f) AS follow_ups,
                (SELECT json_agg(json_build_array(c.id, c.phase, c.status) ORDER BY id) FROM cases c) AS cases,
                (SELECT count(*) FROM timeline_entries) AS entries,
                (SELECT count(*) FROM audit_events) AS audit`,
      )
    ).rows[0];
  /** Runs an operation that must be refused with `code`, and shows that it changed nothing. */
  const refusedWith = async (code: string, who: string, query: string, variables: Record<string, unknown>) => {
    const before = await snapshot();
    const r = await run(who, query, variables);
    expect({ query, variables, codes: codes(r) }).toEqual({ query, variables, codes: [code] });
    expect(await snapshot()).toEqual(before);
    return r;
  };

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    const a = (await f.organization({ name: 'ハローワーク品川', kind: 'HELLO_WORK' })).id;
    const b = (await f.organization({ name: '別の機関', kind: 'NPO' })).id;
    const people: [string, string, ('SUPPORTER' | 'COORDINATOR' | 'ANALYST' | 'ORG_ADMIN')[]][] = [
      ['supporter', a, ['SUPPORTER']],
      ['otherSupporter', a, ['SUPPORTER']],
      ['coordinator', a, ['COORDINATOR']],
      ['analyst', a, ['ANALYST']],
      ['admin', a, ['ORG_ADMIN']],
      ['stranger', b, ['COORDINATOR']],
    ];
    for (const [name, org, roles] of people) {
      const m = await f.member(org, roles);
      u[name] = m.id;
      t[name] = (await api.tokens.issue(m.id)).token;
    }
  });
  afterAll(() => api.close());

  it('records a placement: the case is PLACED and five follow-ups are due 2 weeks and 1, 3, 6, 12 months later', async () => {
    const c = await placedCase({ employmentType: 'PART_TIME' });
    expect(c).toMatchObject({
      phase: 'PLACED',
      placements: [
        {
          employerName: EMPLOYER,
          startDate: '2025-01-31',
          employmentType: 'PART_TIME',
          route: 'DISABILITY_VACANCY',
          weeklyHoursBand: 'FROM_20_UNDER_30',
          separatedOn: null,
        },
      ],
    });
    // From 1/31, a calendar month ends at the end of the shorter month, each counted from the start date.
    expect(dueDates(c)).toEqual({
      W2: '2025-02-14',
      M1: '2025-02-28',
      M3: '2025-04-30',
      M6: '2025-07-31',
      M12: '2026-01-31',
    });
    expect(c.followUps.map((f: FollowUp) => f.milestone)).toEqual(['W2', 'M1', 'M3', 'M6', 'M12']);
    expect(c.followUps.every((f: FollowUp) => f.status === 'SCHEDULED' && f.placementId === c.placements[0].id)).toBe(
      true,
    );
    expect(c.placements[0].followUps.map((f: FollowUp) => f.milestone)).toEqual(['W2', 'M1', 'M3', 'M6', 'M12']);
    // The earliest scheduled follow-up, overdue or not, at the start of its day in Japan.
    expect(c.nextFollowUpOn).toBe('2025-02-14');
    expect(c.nextFollowUpAt).toBe(tokyoMidnight('2025-02-14'));
    expect(c.nextFollowUpAt).toBe('2025-02-13T15:00:00.000Z');
  });

  it('clamps month arithmetic in leap years and from the 29th of February', async () => {
    const leap = await placedCase({ startDate: '2024-01-31' });
    expect(dueDates(leap)).toMatchObject({ M1: '2024-02-29', M3: '2024-04-30', M12: '2025-01-31' });
    const feb29 = await placedCase({ startDate: '2024-02-29' });
    expect(dueDates(feb29)).toEqual({
      W2: '2024-03-14',
      M1: '2024-03-29',
      M3: '2024-05-29',
      M6: '2024-08-29',
      M12: '2025-02-28',
    });
    const aug31 = await placedCase({ startDate: '2023-08-31' });
    expect(dueDates(aug31)).toMatchObject({ M1: '2023-09-30', M6: '2024-02-29', M12: '2024-08-31' });
  });

  it('writes a PLACEMENT timeline entry without the employer, and audits what it wrote and what was read', async () => {
    const c = await placedCase({ employerName: '有限会社ひみつ工房' });
    const seen = await ok('supporter', CASE, { id: c.id });
    const entry = seen.case.timeline.nodes.find((n: Data) => n.kind === 'PLACEMENT');
    expect(entry.summary).toMatch(/就職が決まりました/);
    const leaks = await api.db.owner.query(
      `SELECT count(*)::int AS n FROM timeline_entries WHERE summary LIKE '%ひみつ工房%' OR body LIKE '%ひみつ工房%'`,
    );
    expect(leaks.rows[0].n).toBe(0);
    const { rows } = await api.db.owner.query(
      `SELECT action, subject_type, subject_id, fields, actor_user_id FROM audit_events
        WHERE action IN ('placement.recorded', 'placement.read') AND (subject_id = $1 OR subject_id = $2) ORDER BY seq`,
      [c.placements[0].id, c.id],
    );
    expect(rows[0]).toMatchObject({
      action: 'placement.recorded',
      subject_type: 'Placement',
      subject_id: c.placements[0].id,
      actor_user_id: u.supporter,
    });
    expect(rows[0].fields).toEqual(expect.arrayContaining(['employerName', 'startDate', 'route']));
    expect(rows.filter((r) => r.action === 'placement.read' && r.subject_id === c.id).length).toBeGreaterThan(0);
  });

  it('shows nextFollowUpAt in the coordinator’s list, null for a case without follow-ups', async () => {
    const placed = await placedCase({ startDate: '2025-06-10' });
    const plain = await newCase();
    const list = await ok('coordinator', LIST, { first: 100 });
    const byId = new Map(list.cases.nodes.map((n: Data) => [n.id, n]));
    expect(byId.get(placed.id)).toEqual({
      id: placed.id,
      nextFollowUpAt: tokyoMidnight('2025-06-24'),
      nextFollowUpOn: '2025-06-24',
    });
    expect(byId.get(plain)).toEqual({ id: plain, nextFollowUpAt: null, nextFollowUpOn: null });
  });

  it('refuses a second placement while one is in force (CONFLICT), and takes one after the separation', async () => {
    const c = await placedCase();
    await refusedWith('CONFLICT', 'coordinator', PLACE, { input: placement(c.id, { startDate: '2025-03-01' }) });
    await ok('supporter', SEPARATE, { id: c.placements[0].id, input: { separatedOn: '2025-02-20', reason: '体調' } });
    const next = await ok('coordinator', PLACE, {
      input: placement(c.id, { employerName: '二社目株式会社', startDate: '2025-04-01', route: 'GENERAL_OPEN' }),
    });
    expect(next.recordPlacement.phase).toBe('PLACED');
    expect(next.recordPlacement.placements.map((p: Data) => p.employerName)).toEqual(['二社目株式会社', EMPLOYER]);
    expect(next.recordPlacement.followUps).toHaveLength(10);
    // The first placement's 2-week follow-up fell before the separation: it is still to be done (or missed).
    expect(next.recordPlacement.nextFollowUpOn).toBe('2025-02-14');
    expect(dueDates({ followUps: next.recordPlacement.followUps.slice(1) })).toMatchObject({ W2: '2025-04-15' });
  });

  it('records a follow-up as done, with the note on the timeline; the case moves on to RETENTION', async () => {
    const c = await placedCase();
    const w2 = followUp(c, 'W2');
    const doneAt = '2025-02-14T10:30:00+09:00';
    const d = await ok('supporter', FOLLOW_UP, {
      id: w2.id,
      input: { method: 'VISIT', note: '職場を訪問し、本人と上司に面談した。通院日の調整ができている。', doneAt },
    });
    expect(d.recordFollowUp).toMatchObject({
      id: w2.id,
      milestone: 'W2',
      status: 'DONE',
      method: 'VISIT',
      doneAt: new Date(doneAt).toISOString(),
    });
    expect(d.recordFollowUp.statusChangedAt).not.toBeNull();
    const seen = (await ok('supporter', CASE, { id: c.id })).case;
    expect(seen.phase).toBe('RETENTION');
    expect(seen.nextFollowUpOn).toBe('2025-02-28');
    const entry = seen.timeline.nodes.find((n: Data) => n.kind === 'FOLLOW_UP');
    expect(entry).toMatchObject({
      summary: '定着支援のフォローアップ (2週間) を実施しました (訪問)',
      body: '職場を訪問し、本人と上司に面談した。通院日の調整ができている。',
      occurredAt: new Date(doneAt).toISOString(),
    });
    const audit = await api.db.owner.query(
      `SELECT fields FROM audit_events WHERE action = 'followUp.recorded' AND subject_id = $1`,
      [w2.id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].fields).toContain('note');
    // Done is done.
    await refusedWith('INVALID_TRANSITION', 'supporter', FOLLOW_UP, { id: w2.id, input: { method: 'PHONE' } });
  });

  it('records a MISSED follow-up done late, and never a CANCELLED one', async () => {
    const c = await placedCase();
    const m1 = followUp(c, 'M1');
    // What the worker will do to a follow-up 7 days overdue.
    await api.db.owner.query(`UPDATE follow_ups SET status = 'MISSED', status_changed_at = now() WHERE id = $1`, [
      m1.id,
    ]);
    const late = await ok('coordinator', FOLLOW_UP, { id: m1.id, input: { method: 'PHONE' } });
    expect(late.recordFollowUp).toMatchObject({ status: 'DONE', method: 'PHONE' });
    await ok('supporter', SEPARATE, { id: c.placements[0].id, input: { separatedOn: '2025-03-10', reason: '転居' } });
    const m3 = followUp(c, 'M3');
    await refusedWith('INVALID_TRANSITION', 'supporter', FOLLOW_UP, { id: m3.id, input: { method: 'VISIT' } });
  });

  it('records a separation once: later follow-ups are CANCELLED, earlier ones kept, the case back to JOB_SEARCH', async () => {
    const c = await placedCase();
    const d = await ok('supporter', SEPARATE, {
      id: c.placements[0].id,
      input: { separatedOn: '2025-03-15', reason: '体調の悪化により退職' },
    });
    expect(d.recordSeparation).toMatchObject({ separatedOn: '2025-03-15', separationReason: '体調の悪化により退職' });
    expect(d.recordSeparation.separationRecordedAt).not.toBeNull();
    expect(d.recordSeparation.followUps).toEqual([
      { milestone: 'W2', status: 'SCHEDULED' },
      { milestone: 'M1', status: 'SCHEDULED' },
      { milestone: 'M3', status: 'CANCELLED' },
      { milestone: 'M6', status: 'CANCELLED' },
      { milestone: 'M12', status: 'CANCELLED' },
    ]);
    const seen = (await ok('supporter', CASE, { id: c.id })).case;
    expect(seen).toMatchObject({ phase: 'JOB_SEARCH', nextFollowUpOn: '2025-02-14' });
    expect(seen.timeline.nodes[0]).toMatchObject({
      kind: 'PLACEMENT',
      summary: '離職を記録しました (予定していたフォローアップ3件を中止)',
      body: null,
    });
    const audit = await api.db.owner.query(
      `SELECT fields FROM audit_events WHERE action = 'placement.separated' AND subject_id = $1`,
      [c.placements[0].id],
    );
    expect(audit.rows).toEqual([{ fields: ['separatedOn', 'separationReason'] }]);
    await refusedWith('INVALID_TRANSITION', 'coordinator', SEPARATE, {
      id: c.placements[0].id,
      input: { separatedOn: '2025-03-20', reason: 'もう一度' },
    });
  });

  it('cancels the scheduled follow-ups of a case that is closed, and refuses follow-ups on it', async () => {
    const c = await placedCase();
    const closed = await ok('coordinator', CLOSE, { c: c.id });
    expect(closed.closeCase).toMatchObject({ status: 'CLOSED', nextFollowUpAt: null });
    const { rows } = await api.db.owner.query(`SELECT DISTINCT status FROM follow_ups WHERE case_id = $1`, [c.id]);
    expect(rows).toEqual([{ status: 'CANCELLED' }]);
    for (const [q, v] of [
      [FOLLOW_UP, { id: followUp(c, 'M6').id, input: { method: 'PHONE' } }],
      [SEPARATE, { id: c.placements[0].id, input: { separatedOn: '2025-03-01', reason: '退職' } }],
      [PLACE, { input: placement(c.id) }],
    ] as const) {
      await refusedWith('INVALID_TRANSITION', 'coordinator', q, v);
    }
  });

  it('refuses bad input with BAD_USER_INPUT naming the field, and changes nothing', async () => {
    const c = await placedCase();
    const plain = await newCase();
    const refused = async (query: string, variables: Record<string, unknown>, field: string) => {
      const [e] = (await refusedWith('BAD_USER_INPUT', 'supporter', query, variables)).errors!;
      expect({ variables, field: e!.extensions?.field }).toEqual({ variables, field });
      return e!.message;
    };
    const place = (over: Record<string, unknown>) => ({ input: placement(plain, over) });
    await refused(PLACE, place({ employerName: '   ' }), 'employerName');
    await refused(PLACE, place({ employerName: 'x'.repeat(201) }), 'employerName');
    await refused(PLACE, place({ employerName: '株式会社\u202Eテスト' }), 'employerName');
    await refused(PLACE, place({ startDate: '1999-12-31' }), 'startDate');
    await refused(PLACE, place({ startDate: daysFromToday(400) }), 'startDate');
    const route = await refused(PLACE, place({ route: 'DISABILITY' }), 'route');
    expect(route).toContain('DISABILITY_VACANCY, GENERAL_OPEN, GENERAL_CLOSED');
    const band = await refused(PLACE, place({ weeklyHoursBand: '20_30' }), 'weeklyHoursBand');
    expect(band).toContain('UNDER_10, FROM_10_UNDER_20, FROM_20_UNDER_30, FROM_30');
    // A date that does not exist never reaches the service.
    expect(codes(await run('supporter', PLACE, place({ startDate: '2025-02-29' })))).toEqual(['BAD_USER_INPUT']);

    const w2 = followUp(c, 'W2').id;
    const future = new Date(Date.now() + 3600_000).toISOString();
    await refused(FOLLOW_UP, { id: w2, input: { method: 'VISIT', doneAt: future } }, 'doneAt');
    await refused(FOLLOW_UP, { id: w2, input: { method: 'VISIT', doneAt: '2025-01-30T12:00:00+09:00' } }, 'doneAt');
    await refused(FOLLOW_UP, { id: w2, input: { method: 'VISIT', note: 'a\u0000b' } }, 'note');

    const p = c.placements[0].id;
    await refused(SEPARATE, { id: p, input: { separatedOn: '2025-01-30', reason: '退職' } }, 'separatedOn');
    await refused(SEPARATE, { id: p, input: { separatedOn: daysFromToday(2), reason: '退職' } }, 'separatedOn');
    await refused(SEPARATE, { id: p, input: { separatedOn: '2025-03-01', reason: ' ' } }, 'reason');
  });

  it('answers NOT_FOUND to another organization’s coordinator for the case, placement and follow-up, as for ids that do not exist', async () => {
    const c = await placedCase();
    const attempts: [string, (id: string) => Record<string, unknown>, string][] = [
      [PLACE, (id) => ({ input: placement(id) }), c.id],
      [SEPARATE, (id) => ({ id, input: { separatedOn: '2025-03-01', reason: '退職' } }), c.placements[0].id],
      [FOLLOW_UP, (id) => ({ id, input: { method: 'VISIT' } }), followUp(c, 'W2').id],
      [CASE, (id) => ({ id }), c.id],
    ];
    for (const [query, vars, id] of attempts) {
      const none = await refusedWith('NOT_FOUND', 'stranger', query, vars(MISSING));
      // Another organization's coordinator, and a supporter of the same organization not assigned to the case.
      for (const who of ['stranger', 'otherSupporter']) {
        const real = await refusedWith('NOT_FOUND', who, query, vars(id));
        expect(real.errors![0]!.message).toBe(none.errors![0]!.message);
        expect(real.data).toEqual(none.data);
      }
    }
  });

  it('refuses an analyst and an organization admin before any lookup (FORBIDDEN)', async () => {
    const c = await placedCase();
    for (const who of ['analyst', 'admin']) {
      await refusedWith('FORBIDDEN', who, PLACE, { input: placement(c.id) });
      await refusedWith('FORBIDDEN', who, SEPARATE, {
        id: c.placements[0].id,
        input: { separatedOn: '2025-03-01', reason: 'x' },
      });
      await refusedWith('FORBIDDEN', who, FOLLOW_UP, { id: followUp(c, 'W2').id, input: { method: 'VISIT' } });
    }
  });

  it('reads the placements and follow-ups of a page of cases in a bounded number of statements', async () => {
    for (let i = 0; i < 6; i++) await placedCase({ startDate: `2025-0${i + 1}-15` });
    const db = api.app.get(Database);
    const PAGE = `query($first: Int) { cases(first: $first) { nodes { id nextFollowUpAt
      placements { id employerName followUps { id } } followUps { id status } } } }`;
    const statements = async (first: number) => {
      const before = db.statementCount;
      const page = await ok('coordinator', PAGE, { first });
      expect(page.cases.nodes).toHaveLength(first);
      return db.statementCount - before;
    };
    await statements(2); // warm-up
    expect(await statements(6)).toBe(await statements(2));
  });
});
