/**
 * Foundation baseline: what the request pipeline alone costs (token check, membership lookup, CASL ability, one
 * tenant transaction), over HTTP with autocannon against a real API on loopback.
 *
 *   npm run bench:foundation            (defaults: 10 connections, 10 s per run, 3 alternating rounds)
 *   BENCH_SECONDS=20 BENCH_ROUNDS=5 npm run bench:foundation
 *
 * Prints requests/s and latency percentiles per operation, and the exact command to repeat it.
 */
import autocannon from 'autocannon';
import globalSetup from '../harness/global-setup.js';
import { factories } from '../harness/factories.js';
import { startTestApi } from '../harness/test-api.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

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
  const results: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, query] of Object.entries(operations)) {
      const r = await autocannon({
        url: `${api.url}/graphql`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const acc = (results[name] ??= { rps: [], p50: [], p99: [] });
      acc.rps.push(r.requests.average);
      acc.p50.push(r.latency.p50);
      acc.p99.push(r.latency.p99);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `\nfoundation bench: ${connections} connections, ${seconds} s x ${rounds} alternating rounds, node ${process.version}`,
  );
  console.log('operation                  req/s (median)   p50 ms   p99 ms');
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(26)} ${median(r.rps).toFixed(0).padStart(14)} ${String(median(r.p50)).padStart(8)} ${String(median(r.p99)).padStart(8)}`,
    );
  }
  console.log(
    `\nrepeat: BENCH_SECONDS=${seconds} BENCH_ROUNDS=${rounds} BENCH_CONNECTIONS=${connections} npm run bench:foundation`,
  );
} finally {
  await api.close();
}
