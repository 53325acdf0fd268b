/**
 * Foundation baseline: what the request pipeline alone costs (token check, membership lookup, CASL ability, one
 * tenant transaction), over HTTP with autocannon against a real API on loopback.
 *
 *   npm run bench:foundation            (defaults: 10 connections, 10 s per run, 3 alternating rounds)
 *   BENCH_SECONDS=20 BENCH_ROUNDS=5 npm run bench:foundation
 *
 * Prints requests/s and latency percentiles per operation, and the exact command to repeat it.
 */
import globalSetup from '../harness/global-setup.js';
import { factories } from '../harness/factories.js';
import { startTestApi } from '../harness/test-api.js';
import { benchOperations, benchOptions } from './http-bench.js';

const opts = benchOptions();

await globalSetup();
const api = await startTestApi({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' });
try {
  const f = factories(api.db.owner);
  const orgs = [];
  for (let i = 0; i < 300; i++)
    orgs.push(await f.organization({ prefectureCode: String((i % 47) + 1).padStart(2, '0') }));
  const member = await f.member(orgs[0]!.id, ['COORDINATOR']);
  const { token } = await api.tokens.issue(member.id);

  const operations = {
    // The framework's floor: Apollo and Express with no resolver, no token check, no SQL.
    '{ __typename } (no auth)': `{ __typename }`,
    me: `{ me { user { id displayName } memberships { id roles organization { id name } } actingOrganization { id } } }`,
    'organizations(first: 50)': `{ organizations(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { id name kind prefectureCode services acceptsReferrals } } }`,
  };
  await benchOperations(
    api,
    { authorization: `Bearer ${token}` },
    operations,
    opts,
    'foundation bench',
    'bench:foundation',
  );
} finally {
  await api.close();
}
