import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Database } from '@tasuki/platform';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories } from '../harness/factories.js';

const LIST = `query($filter: CaseFilter, $first: Int, $after: String) {
  cases(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes {
      id status phase lastActivityAt openReferralCount nextFollowUpAt
      client { id familyName givenName }
      assignees { id displayName }
      organization { id name }
    }
  }
}`;

type Page = {
  cases: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: { id: string; lastActivityAt: string; client: { familyName: string }; assignees: { id: string }[] }[];
  };
};

/** The coordinator's open-cases list: the ability's conditions in SQL, filters, keyset pagination, bounded SQL. */
describe('the coordinator’s case list', () => {
  let api: TestApi;
  let orgId: string;
  let coordinator: string;
  let supporter: string;
  let supporterId: string;
  let otherOrgCoordinator: string;
  const ids: string[] = [];

  const list = async (token: string, variables: Record<string, unknown> = {}) => {
    const r = await api.gql<Page>(LIST, variables, { token });
    expect(r.errors).toBeUndefined();
    return r.data!.cases;
  };

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    orgId = (await f.organization({ kind: 'HELLO_WORK' })).id;
    const otherOrg = (await f.organization({ kind: 'HOSPITAL' })).id;
    const c = await f.member(orgId, ['COORDINATOR']);
    const s = await f.member(orgId, ['SUPPORTER']);
    const oc = await f.member(otherOrg, ['COORDINATOR']);
    coordinator = (await api.tokens.issue(c.id)).token;
    supporter = (await api.tokens.issue(s.id)).token;
    supporterId = s.id;
    otherOrgCoordinator = (await api.tokens.issue(oc.id)).token;
    // 60 clients with one case each, activity one day apart; every third assigned to the supporter; the first ten
    // closed; two in the other organization.
    const { rows } = await api.db.owner.query<{ id: string }>(
      `WITH cl AS (
         INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
         SELECT gen_random_uuid(), $1, '相談者' || i, '太郎', '1980-01-01', '13' FROM generate_series(1, 60) i
         RETURNING id, family_name)
       INSERT INTO cases (org_id, client_id, status, closed_at, phase, last_activity_at)
       SELECT $1, cl.id, CASE WHEN n <= 10 THEN 'CLOSED' ELSE 'OPEN' END, CASE WHEN n <= 10 THEN now() END,
              CASE WHEN n <= 10 THEN 'CLOSED' WHEN n % 2 = 0 THEN 'JOB_SEARCH' ELSE 'INTAKE' END,
              now() - make_interval(days => n)
         FROM (SELECT id, substring(family_name from 4)::int AS n FROM cl) cl
       RETURNING id`,
      [orgId],
    );
    ids.push(...rows.map((r) => r.id));
    await api.db.owner.query(
      `INSERT INTO case_assignments (org_id, case_id, user_id)
       SELECT c.org_id, c.id, $2 FROM cases c JOIN clients cl ON cl.id = c.client_id
        WHERE c.org_id = $1 AND substring(cl.family_name from 4)::int % 3 = 0`,
      [orgId, supporterId],
    );
    await api.db.owner.query(
      `WITH cl AS (INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
         SELECT gen_random_uuid(), $1, '他機関', '次郎', '1990-01-01', '13' FROM generate_series(1, 2) RETURNING id)
       INSERT INTO cases (org_id, client_id) SELECT $1, id FROM cl`,
      [otherOrg],
    );
  });
  afterAll(() => api.close());

  it('lists every case of the organization for a coordinator, most recent activity first', async () => {
    const page = await list(coordinator, { first: 5 });
    expect(page.totalCount).toBe(60);
    expect(page.nodes.map((n) => n.client.familyName)).toEqual(['相談者1', '相談者2', '相談者3', '相談者4', '相談者5']);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('walks the whole list with the cursor, each case exactly once, in order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let last = Infinity;
    for (;;) {
      const page = await list(coordinator, { first: 7, after });
      for (const n of page.nodes) {
        const at = Date.parse(n.lastActivityAt);
        expect(at).toBeLessThanOrEqual(last);
        last = at;
        seen.push(n.id);
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(60);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('shows a supporter only the cases assigned to them, with the filter in SQL (totalCount agrees)', async () => {
    const page = await list(supporter, { first: 50 });
    expect(page.totalCount).toBe(20);
    expect(page.nodes.every((n) => n.assignees.some((a) => a.id === supporterId))).toBe(true);
    expect(await list(otherOrgCoordinator)).toMatchObject({ totalCount: 2 });
  });

  it('filters by status, phase, assignee, unassigned, staleness, open referral and expiring consent', async () => {
    const total = async (filter: Record<string, unknown>) => (await list(coordinator, { filter, first: 1 })).totalCount;
    expect(await total({ status: 'CLOSED' })).toBe(10);
    expect(await total({ status: 'OPEN', phase: 'JOB_SEARCH' })).toBe(25);
    expect(await total({ assigneeId: supporterId })).toBe(20);
    expect(await total({ unassigned: true })).toBe(40);
    expect(await total({ unassigned: false })).toBe(20);
    expect(await total({ staleDays: 50 })).toBe(11); // activity 50..60 days ago
    expect(await total({ hasOpenReferral: true })).toBe(0);
    expect(await total({ consentExpiringWithinDays: 30 })).toBe(0);
    const { rows } = await api.db.owner.query<{ client_id: string; id: string }>(
      `SELECT c.id, c.client_id FROM cases c JOIN clients cl ON cl.id = c.client_id
        WHERE cl.family_name = '相談者20'`,
    );
    await api.db.owner.query(
      `INSERT INTO consent_grants (org_id, client_id, recipient_org_ids, purposes, categories, method, expires_at)
       VALUES ($1, $2, ARRAY[$1]::uuid[], '{REFERRAL}', '{IDENTITY}', 'WRITTEN', now() + interval '10 days')`,
      [orgId, rows[0]!.client_id],
    );
    expect(await total({ consentExpiringWithinDays: 30 })).toBe(1);
    expect(await total({ consentExpiringWithinDays: 5 })).toBe(0);
  });

  it('refuses a malformed filter or cursor with BAD_USER_INPUT', async () => {
    for (const variables of [
      { filter: { staleDays: 0 } },
      { filter: { consentExpiringWithinDays: 1000 } },
      { filter: { assigneeId: 'nope' } },
      { after: 'not-a-cursor' },
      { after: Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url') },
      { first: 0 },
    ]) {
      expect(codes(await api.gql(LIST, variables, { token: coordinator }))).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('issues the same number of SQL statements for 50 cases as for 5 (DataLoaders, no N+1)', async () => {
    const db = api.app.get(Database);
    const statements = async (first: number) => {
      const before = db.statementCount;
      const page = await list(coordinator, { first });
      expect(page.nodes).toHaveLength(first);
      return db.statementCount - before;
    };
    await statements(5); // warm-up
    const five = await statements(5);
    const fifty = await statements(50);
    expect(fifty).toBe(five);
    // One transaction: BEGIN with the settings, the principal, the organization's settings, the page with its total,
    // one batch per loader (profiles, assignees with their users, organizations), the audit's lock, head and
    // INSERT, COMMIT.
    expect(five).toBeLessThanOrEqual(11);
  });

  it('records one audit event per client whose name the list showed', async () => {
    const before = Number(
      (await api.db.owner.query(`SELECT count(*) AS n FROM audit_events WHERE action = 'client.read'`)).rows[0].n,
    );
    await list(coordinator, { first: 12 });
    const { rows } = await api.db.owner.query(
      `SELECT fields, purpose FROM audit_events WHERE action = 'client.read' ORDER BY seq DESC LIMIT 12`,
    );
    expect(rows).toHaveLength(12);
    expect(
      Number(
        (await api.db.owner.query(`SELECT count(*) AS n FROM audit_events WHERE action = 'client.read'`)).rows[0].n,
      ),
    ).toBe(before + 12);
    expect(rows.every((r) => r.purpose === 'CASE_MANAGEMENT' && r.fields.join() === 'familyName,givenName')).toBe(true);
  });
});
