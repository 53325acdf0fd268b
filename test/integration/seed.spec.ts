import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { seedDatabase } from '../../apps/cli/src/seed/load.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

const AS_OF = '2026-11-20';
const CHECKSUMMED = ['clients', 'cases', 'consent_grants', 'referrals', 'timeline_entries', 'follow_ups'];

async function checksums(owner: pg.Pool): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of CHECKSUMMED) {
    const { rows } = await owner.query<{ sum: string }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) AS sum FROM ${t} t`,
    );
    out[t] = rows[0]!.sum;
  }
  return out;
}

const LATEST_ENTRY = `(SELECT case_id, max(occurred_at) AS m FROM timeline_entries WHERE case_id IS NOT NULL
  GROUP BY case_id)`;

/** What the product's own code guarantees of every row, checked over the whole seeded network. */
const INVARIANTS: Record<string, string> = {
  'a referral was sent under a grant ACTIVE then, naming the recipient, for REFERRAL, covering what it shares': `
    SELECT count(*) FROM referrals r JOIN consent_grants g ON g.id = r.consent_id
     WHERE NOT (g.org_id = r.org_id AND g.client_id = r.client_id AND r.to_org_id = ANY (g.recipient_org_ids)
       AND 'REFERRAL' = ANY (g.purposes) AND g.categories @> r.shared_categories AND g.granted_at <= r.sent_at
       AND (g.expires_at IS NULL OR g.expires_at > r.sent_at) AND (g.withdrawn_at IS NULL OR g.withdrawn_at > r.sent_at))`,
  'an open referral relies on a grant ACTIVE now': `
    SELECT count(*) FROM referrals r JOIN consent_grants g ON g.id = r.consent_id
     WHERE r.status IN ('SENT','RECEIVED','ACCEPTED')
       AND NOT (g.withdrawn_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now()))`,
  'a case’s last activity is the latest of its opening and its timeline': `
    SELECT count(*) FROM cases c LEFT JOIN ${LATEST_ENTRY} t ON t.case_id = c.id
     WHERE c.last_activity_at <> greatest(c.opened_at, t.m)`,
  'a recipient holds a case exactly when it accepted a referral': `
    SELECT (SELECT count(*) FROM cases c JOIN clients cl ON cl.id = c.client_id
             WHERE c.org_id <> cl.org_id AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.to_case_id = c.id
               AND r.status IN ('ACCEPTED','COMPLETED','FAILED')))
         + (SELECT count(*) FROM referrals WHERE status IN ('ACCEPTED','COMPLETED','FAILED') AND to_case_id IS NULL)`,
  'a closed case has no open referral and nothing after its close': `
    SELECT count(*) FROM cases c LEFT JOIN ${LATEST_ENTRY} t ON t.case_id = c.id WHERE c.status = 'CLOSED' AND (
      t.m > c.closed_at OR EXISTS (SELECT 1 FROM referrals r WHERE (r.from_case_id = c.id OR r.to_case_id = c.id)
               AND r.status IN ('SENT','RECEIVED','ACCEPTED')))`,
  'an assignee is a coordinator or supporter of the case’s organization': `
    SELECT count(*) FROM case_assignments a WHERE NOT EXISTS (SELECT 1 FROM memberships m
      WHERE m.org_id = a.org_id AND m.user_id = a.user_id AND m.roles && '{COORDINATOR,SUPPORTER}')`,
  'nothing happened after the as-of day': `
    SELECT count(*) FROM timeline_entries WHERE occurred_at >= '${AS_OF}T00:00:00+09:00'`,
};

/** `npm run seed`'s generator at scale S: counts, the product's invariants, determinism, and the API reading it. */
describe('the seed generator', () => {
  let api: TestApi;
  let twin: TestDatabase;
  let counts: Record<string, number>;

  beforeAll(async () => {
    api = await startTestApi();
    twin = await createTestDatabase();
    counts = (await seedDatabase({ ownerUrl: api.db.ownerUrl, scale: 'S', seed: 7, asOf: AS_OF })).counts;
    await seedDatabase({ ownerUrl: twin.ownerUrl, scale: 'S', seed: 7, asOf: AS_OF });
  }, 240_000);

  afterAll(async () => {
    await twin?.drop();
    await api?.close();
  });

  it('makes scale S: a hundredth of PRODUCT.md §4, and says how many rows of each', async () => {
    expect(counts).toMatchObject({ organizations: 24, users: 150, memberships: 150, clients: 2000 });
    // The journeys are drawn, so the other tables land near a hundredth of scale L's figures.
    const near = (n: number, target: number) => expect(Math.abs(n - target) / target).toBeLessThan(0.25);
    near(counts.cases!, 2500);
    near(counts.referrals!, 3000);
    near(counts.consent_grants!, 4000);
    near(counts.timeline_entries!, 20000);
    expect(counts.placements).toBeGreaterThan(0);
    expect(counts.follow_ups).toBe(counts.placements! * 5);
    for (const [table, n] of Object.entries(counts)) {
      const { rows } = await api.db.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      expect([table, rows[0]!.n]).toEqual([table, n]);
    }
    const { rows } = await api.db.owner.query<{ kinds: number; withdrawn: number; expired: number }>(
      `SELECT (SELECT count(DISTINCT kind)::int FROM organizations) AS kinds,
              (SELECT count(*)::int FROM consent_grants WHERE withdrawn_at IS NOT NULL) AS withdrawn,
              (SELECT count(*)::int FROM consent_grants WHERE expires_at < now()) AS expired`,
    );
    expect(rows[0]!.kinds).toBeGreaterThanOrEqual(10);
    expect(rows[0]!.withdrawn).toBeGreaterThan(0);
    expect(rows[0]!.expired).toBeGreaterThan(0);
  });

  it.each(Object.entries(INVARIANTS))('holds the product’s invariants: %s', async (_, sql) => {
    const { rows } = await api.db.owner.query<Record<string, string>>(sql);
    expect(Number(Object.values(rows[0]!)[0])).toBe(0);
  });

  it('leaves every index of the schema in place (it builds the secondary ones after the load)', async () => {
    const fresh = await createTestDatabase();
    const defs = async (owner: pg.Pool) =>
      (await owner.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`))
        .rows;
    try {
      expect(await defs(api.db.owner)).toEqual(await defs(fresh.owner));
    } finally {
      await fresh.drop();
    }
  });

  it('is deterministic: the same seed and day give the same rows', async () => {
    expect(await checksums(twin.owner)).toEqual(await checksums(api.db.owner));
  });

  it('serves a seeded coordinator their organization’s open cases through GraphQL', async () => {
    const { rows } = await api.db.owner.query<{ org_id: string; user_id: string; open: number }>(
      `SELECT m.org_id, m.user_id, (SELECT count(*)::int FROM cases c WHERE c.org_id = m.org_id AND c.status = 'OPEN')
              AS open
         FROM memberships m WHERE 'COORDINATOR' = ANY (m.roles) ORDER BY open DESC, m.user_id LIMIT 1`,
    );
    const { org_id: orgId, user_id: userId, open } = rows[0]!;
    expect(open).toBeGreaterThan(50);
    const { token } = await api.tokens.issue(userId);
    const r = await api.gql<{
      cases: {
        totalCount: number;
        nodes: { id: string; client: { familyName: string | null }; openReferralCount: number }[];
      };
    }>(
      `{ cases(first: 50, filter: { status: OPEN }) { totalCount pageInfo { hasNextPage endCursor }
         nodes { id lastActivityAt openReferralCount nextFollowUpAt client { familyName givenName }
                 assignees { id displayName } } } }`,
      {},
      { token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.cases.totalCount).toBe(open);
    expect(r.data!.cases.nodes).toHaveLength(50);
    expect(r.data!.cases.nodes.every((n) => n.client.familyName)).toBe(true);
    const expected = await api.db.owner.query<{ id: string; n: number }>(
      `SELECT c.id, (SELECT count(*)::int FROM referrals r WHERE (r.from_case_id = c.id OR r.to_case_id = c.id)
                      AND r.status IN ('SENT','RECEIVED','ACCEPTED')) AS n
         FROM cases c WHERE c.org_id = $1 AND c.status = 'OPEN' ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 50`,
      [orgId],
    );
    expect(r.data!.cases.nodes.map((n) => [n.id, n.openReferralCount])).toEqual(expected.rows.map((e) => [e.id, e.n]));
  });
});
