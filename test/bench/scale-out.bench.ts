/**
 * Scale-out: the same authenticated query served by one API process, then by two (each `node
 * dist/apps/api/src/main.js`, as production runs them) over the same database, under the same total load.
 *
 *   npm run bench:scale-out
 *   BENCH_SECONDS=10 BENCH_ROUNDS=3 BENCH_CONNECTIONS=10 npm run bench:scale-out
 *
 * With two, the connections are split between the processes (what a round-robin load balancer does); the runs
 * alternate over the rounds, after one warm-up run on both. Prints each run's requests/s and the CPU seconds the API
 * processes used (/proc), then medians, latency, the ratio, the machine's cores and load average.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { loadConfig, TokenService } from '@tasuki/platform';
import { startApiProcess, type ApiProcess } from '../harness/api-process.js';
import { factories } from '../harness/factories.js';
import globalSetup from '../harness/global-setup.js';
import { redisUrl } from '../harness/postgres.js';
import { createTestDatabase } from '../harness/test-database.js';
import { benchOptions } from './http-bench.js';
import { cpuSeconds } from './process-cpu.js';

const opts = benchOptions();
const QUERY = `{ me { user { id displayName } memberships { id roles organization { id name } } actingOrganization { id } } }`;

await globalSetup();
const db = await createTestDatabase();
const jwtSecret = randomBytes(32).toString('hex');
const env = {
  DATABASE_URL: db.ownerUrl,
  DATABASE_APP_URL: db.appUrl,
  DATABASE_POOL_SIZE: '10',
  REDIS_URL: redisUrl(),
  REDIS_KEY_PREFIX: `{tasuki-bench-${db.name}}`,
  JWT_SECRET: jwtSecret,
  MIGRATIONS_RUN: 'false',
  LOG_LEVEL: 'warn',
};
const apis: ApiProcess[] = [];
try {
  apis.push(await startApiProcess(env), await startApiProcess(env));
  const f = factories(db.owner);
  const org = await f.organization();
  const member = await f.member(org.id, ['COORDINATOR']);
  const tokens = new TokenService({
    ...loadConfig({ NODE_ENV: 'test', JWT_SECRET: jwtSecret }).jwt,
    secret: jwtSecret,
  });
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${(await tokens.issue(member.id)).token}`,
  };

  const load = (api: ApiProcess, connections: number) =>
    autocannon({
      url: `${api.url}/graphql`,
      method: 'POST',
      connections,
      duration: opts.seconds,
      headers,
      body: JSON.stringify({ query: QUERY }),
    });
  const apiCpu = () => apis.reduce((sum, a) => sum + cpuSeconds(a.process.child.pid!), 0);
  const results: Record<string, { rps: number[]; p50: number[]; p99: number[]; cpu: number[] }> = {};
  // Warm both processes alike (JIT, pools) before anything is measured.
  await Promise.all(apis.map((a) => load(a, Math.ceil(opts.connections / 2))));
  const loadBefore = loadavg();
  for (let round = 0; round < opts.rounds; round++) {
    for (const n of [1, 2]) {
      const cpuBefore = apiCpu();
      const runs = await Promise.all(apis.slice(0, n).map((a) => load(a, Math.ceil(opts.connections / n))));
      const cpu = apiCpu() - cpuBefore;
      for (const r of runs) if (r.non2xx || r.errors) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
      const acc = (results[`${n} API process${n > 1 ? 'es' : ''}`] ??= { rps: [], p50: [], p99: [], cpu: [] });
      const rps = runs.reduce((sum, r) => sum + r.requests.average, 0);
      console.log(`round ${round + 1}, ${n} API process(es): ${rps.toFixed(0)} req/s, API CPU ${cpu.toFixed(1)} s`);
      acc.rps.push(rps);
      acc.cpu.push(cpu);
      acc.p50.push(Math.max(...runs.map((r) => r.latency.p50)));
      acc.p99.push(Math.max(...runs.map((r) => r.latency.p99)));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `\nscale-out bench: \`me\`, ${opts.connections} connections in all, ${opts.seconds} s x ${opts.rounds} ` +
      `alternating rounds; ${availableParallelism()} cores; load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, ` +
      `after ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  console.log(`${'setup'.padEnd(18)} req/s (median)   p50 ms   p99 ms   API CPU s (median)`);
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(18)} ${median(r.rps).toFixed(0).padStart(14)} ${String(median(r.p50)).padStart(8)} ${String(median(r.p99)).padStart(8)} ${median(r.cpu).toFixed(1).padStart(20)}`,
    );
  }
  const [one, two] = Object.values(results).map((r) => median(r.rps));
  console.log(`two / one: ${(two! / one!).toFixed(2)}`);
  console.log(
    `\nrepeat: BENCH_SECONDS=${opts.seconds} BENCH_ROUNDS=${opts.rounds} BENCH_CONNECTIONS=${opts.connections} npm run bench:scale-out`,
  );
} finally {
  for (const a of apis) await a.process.kill();
  await db.drop();
}
