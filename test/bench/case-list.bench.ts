/**
 * The coordinator's case list over HTTP: `cases(first: 50)` with the fields the list shows (client name, assignees,
 * open referral count, last activity, next follow-up), against one organization holding BENCH_CASES cases, with
 * authorization, RLS, the masking view and the audit of each name read all on. Also prints the SQL statements one
 * request costs. (The scale issue's benchmark at 200,000 clients and its peers come later.)
 *
 *   npm run bench:cases            (defaults: 2,000 cases, 10 connections, 10 s per run, 3 alternating rounds)
 */
import { Database } from '@tasuki/platform';
import globalSetup from '../harness/global-setup.js';
import { factories } from '../harness/factories.js';
import { startTestApi } from '../harness/test-api.js';
import { benchOperations, benchOptions } from './http-bench.js';

const opts = benchOptions();
const caseCount = Number(process.env.BENCH_CASES ?? 2000);

await globalSetup();
const api = await startTestApi({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' });
try {
  const f = factories(api.db.owner);
  const org = await f.organization({ kind: 'HELLO_WORK' });
  const partner = await f.organization({ kind: 'VOCATIONAL_CENTER' });
  const coordinator = await f.member(org.id, ['COORDINATOR']);
  const supporters = await Promise.all([1, 2, 3, 4, 5].map(() => f.member(org.id, ['SUPPORTER'])));
  await api.db.owner.query(
    `WITH cl AS (
       INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
       SELECT gen_random_uuid(), $1, '相談者' || i, '花子', date '1960-01-01' + i, '14' FROM generate_series(1, $2) i
       RETURNING id),
     cs AS (
       INSERT INTO cases (org_id, client_id, last_activity_at)
       SELECT $1, id, now() - random() * interval '200 days' FROM cl RETURNING id, client_id)
     INSERT INTO case_assignments (org_id, case_id, user_id)
     SELECT $1, cs.id, ($3::uuid[])[1 + (row_number() OVER () % 5)] FROM cs`,
    [org.id, caseCount, supporters.map((s) => s.id)],
  );
  // A referral from every tenth case, so the open-referral count has something to count.
  await api.db.owner.query(
    `WITH g AS (
       INSERT INTO consent_grants (org_id, client_id, recipient_org_ids, purposes, categories, method)
       SELECT c.org_id, c.client_id, ARRAY[$2]::uuid[], '{REFERRAL}', '{IDENTITY}', 'WRITTEN'
         FROM cases c WHERE c.org_id = $1 AND random() < 0.1 RETURNING id, client_id)
     INSERT INTO referrals (org_id, to_org_id, client_id, from_case_id, consent_id, reason, shared_categories, status,
       sent_at)
     SELECT $1, $2, g.client_id, c.id, g.id, 'ASSESSMENT', '{IDENTITY}', 'SENT', now()
       FROM g JOIN cases c ON c.client_id = g.client_id AND c.org_id = $1`,
    [org.id, partner.id],
  );
  const { token } = await api.tokens.issue(coordinator.id);
  const list = `{ cases(first: 50, filter: { status: OPEN }) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id lastActivityAt openReferralCount nextFollowUpAt client { familyName givenName }
            assignees { id displayName } } } }`;

  const db = api.app.get(Database);
  const before = db.statementCount;
  const probe = await api.gql(list, {}, { token });
  if (probe.errors) throw new Error(JSON.stringify(probe.errors));
  console.log(`\n${caseCount} cases; SQL statements per request: ${db.statementCount - before}`);

  await benchOperations(
    api,
    { authorization: `Bearer ${token}` },
    { 'cases(first: 50) open, contract fields': list },
    opts,
    'case list bench',
    `bench:cases (BENCH_CASES=${caseCount})`,
  );
} finally {
  await api.close();
}
