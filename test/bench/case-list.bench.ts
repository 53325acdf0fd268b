/**
 * The coordinator's case list over HTTP: `cases(first: 50)` with the fields the list shows (client name, assignees,
 * open referral count, last activity, next follow-up), with authorization, RLS, the masking view and the audit of
 * each name read all on, over BENCH_ORGS organizations holding BENCH_CASES cases in all (test/bench/case-list-data.ts).
 * Prints:
 *   - SQL statements per request (page sizes 5 and 50, each filter): the bound PRODUCT.md §4 asks for;
 *   - one request at a time (BENCH_SAMPLES requests over every organization, six filters, a quarter of them second
 *     pages): the server's time per request (HTTP request in to response finished) p50/p95/p99;
 *   - under load (autocannon, BENCH_CONNECTIONS, BENCH_SECONDS x BENCH_ROUNDS, each request a random organization's
 *     coordinator and filter): requests/s, latency, the server's time, and the CPU milliseconds per request of the
 *     API process and of its PostgreSQL backends.
 * The load generator, the API and PostgreSQL share the machine's cores: print `uptime` beside the figures.
 *
 *   npm run bench:cases                                    (2,000 cases in one organization, as before)
 *   BENCH_ORGS=300 BENCH_CASES=200000 npm run bench:cases  (scale L's clients over 300 organizations)
 */
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { Database } from '@tasuki/platform';
import globalSetup from '../harness/global-setup.js';
import { startTestApi } from '../harness/test-api.js';
import { benchOptions } from './http-bench.js';
import { seedCaseList } from './case-list-data.js';
import { cpuSeconds } from './process-cpu.js';

const opts = benchOptions();
const orgCount = Number(process.env.BENCH_ORGS ?? 1);
const caseCount = Number(process.env.BENCH_CASES ?? 2000);
const samples = Number(process.env.BENCH_SAMPLES ?? 300);

const FILTERS = [
  '{ status: OPEN }',
  '{ status: OPEN, unassigned: true }',
  '{ status: OPEN, staleDays: 60 }',
  '{ status: OPEN, hasOpenReferral: true }',
  '{ status: OPEN, consentExpiringWithinDays: 30 }',
  '{ status: OPEN, phase: JOB_SEARCH }',
];
const list = (filter: string, first = 50, after?: string) =>
  `{ cases(first: ${first}, filter: ${filter}${after ? `, after: ${JSON.stringify(after)}` : ''}) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id lastActivityAt openReferralCount nextFollowUpAt client { familyName givenName }
            assignees { id displayName } } } }`;

await globalSetup();
const api = await startTestApi({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' });
try {
  const seedStart = Date.now();
  const orgs = (await seedCaseList(api.db.owner, { orgs: orgCount, cases: caseCount })).filter((o) => o.cases > 0);
  const seeded = orgs.reduce((a, o) => a + o.cases, 0);
  console.log(
    `\nseeded ${seeded} cases over ${orgs.length} organizations (${Math.min(...orgs.map((o) => o.cases))}–` +
      `${Math.max(...orgs.map((o) => o.cases))} each) in ${((Date.now() - seedStart) / 1000).toFixed(0)} s`,
  );
  const callers = await Promise.all(
    orgs.map(async (o) => ({
      org: o.id,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${(await api.tokens.issue(o.coordinatorId)).token}`,
        'x-organization-id': o.id,
      },
    })),
  );

  // The server's own time per request: from the request event to the response's last byte handed to the socket.
  const server = api.app.getHttpServer();
  let serverTimes: number[] = [];
  server.prependListener('request', (_req: unknown, res: { on(e: string, f: () => void): void }) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => serverTimes.push(Number(process.hrtime.bigint() - start) / 1e6));
  });

  const post = async (caller: (typeof callers)[number], query: string) => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: caller.headers,
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as {
      data?: { cases: { pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
      errors?: unknown;
    };
    if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
    return body.data.cases.pageInfo;
  };

  const db = api.app.get(Database);
  const statements = new Set<number>();
  for (const filter of FILTERS) {
    for (const first of [5, 50]) {
      const before = db.statementCount;
      await post(callers[0]!, list(filter, first));
      statements.add(db.statementCount - before);
    }
  }
  console.log(
    `SQL statements per request (page sizes 5 and 50, ${FILTERS.length} filters): ${[...statements].join(', ')}`,
  );

  // One request at a time, over every organization and filter; a quarter of them the next page.
  serverTimes = [];
  for (let i = 0; i < samples; i++) {
    const caller = callers[(i * 7919) % callers.length]!;
    const filter = FILTERS[i % FILTERS.length]!;
    const page = await post(caller, list(filter));
    if (i % 4 === 0 && page.hasNextPage) await post(caller, list(filter, 50, page.endCursor!));
  }
  const single = percentiles(serverTimes);
  console.log(
    `one at a time (${serverTimes.length} requests): server p50 ${single.p50} ms, p95 ${single.p95} ms, p99 ${single.p99} ms`,
  );

  // Under load: each request a random organization's coordinator and filter.
  const bodies = callers.flatMap((c) =>
    FILTERS.map((f) => ({ headers: c.headers, body: JSON.stringify({ query: list(f) }) })),
  );
  const runs: {
    rps: number;
    p50: number;
    p99: number;
    server: ReturnType<typeof percentiles>;
    node: number;
    pg: number;
  }[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    serverTimes = [];
    const pg0 = await backendCpu();
    const node0 = process.cpuUsage();
    let n = round * 7;
    const r = await autocannon({
      url: `${api.url}/graphql`,
      method: 'POST',
      connections: opts.connections,
      duration: opts.seconds,
      requests: [
        {
          setupRequest: (req) => {
            const pick = bodies[(n++ * 104729) % bodies.length]!;
            return { ...req, headers: pick.headers, body: pick.body };
          },
        },
      ],
    });
    if (r.non2xx || r.errors) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
    const node = process.cpuUsage(node0);
    const pg1 = await backendCpu();
    const done = r.requests.total;
    runs.push({
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      server: percentiles(serverTimes),
      // The process's CPU includes autocannon's own (it runs in this process).
      node: (node.user + node.system) / 1000 / done,
      pg: ([...pg1].reduce((s, [pid, cpu]) => s + cpu - (pg0.get(pid) ?? 0), 0) * 1000) / done,
    });
  }
  const med = <T>(xs: T[], key: (x: T) => number) =>
    [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
  const m = med(runs, (x) => x.rps);
  console.log(
    `\nunder load: ${opts.connections} connections, ${opts.seconds} s x ${opts.rounds} rounds (median round by req/s), node ${process.version}`,
  );
  console.log(`  requests/s ${m.rps.toFixed(0)} (rounds: ${runs.map((x) => x.rps.toFixed(0)).join(', ')})`);
  console.log(`  latency p50 ${m.p50} ms, p99 ${m.p99} ms`);
  console.log(`  server p50 ${m.server.p50} ms, p95 ${m.server.p95} ms, p99 ${m.server.p99} ms`);
  console.log(
    `  CPU per request: API process (with autocannon) ${m.node.toFixed(2)} ms, PostgreSQL backends ${m.pg.toFixed(2)} ms`,
  );
  console.log(
    `  load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `\nrepeat: BENCH_ORGS=${orgCount} BENCH_CASES=${caseCount} BENCH_SAMPLES=${samples} BENCH_SECONDS=${opts.seconds} ` +
      `BENCH_ROUNDS=${opts.rounds} BENCH_CONNECTIONS=${opts.connections} npm run bench:cases`,
  );
} finally {
  await api.close();
}

/** CPU seconds of each PostgreSQL backend serving the test database (the API's pool, and the owner's). */
async function backendCpu(): Promise<Map<number, number>> {
  const { rows } = await api.db.owner.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

function percentiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1) : '-');
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
