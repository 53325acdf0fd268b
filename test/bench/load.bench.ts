/**
 * Mixed read/write load for a fixed time at fixed concurrency, then the proof that nothing acknowledged was lost.
 * Several users (a coordinator and a supporter) of several organizations send, one request at a time per connection,
 * 70 % reads (case list, client, case timeline) and 30 % writes (timeline entry, client and case, consent and
 * referral, placement and follow-up). Prints requests, errors by code, p50/p95/p99 latency; then looks up every
 * acknowledged write through the API (as its author) and in the database, and prints how many were lost (must be 0).
 * Exits non-zero on any error, lost write or foreign row.
 *
 *   npm run bench:load -- --seconds 60 --connections 16 --seed 1 [--orgs 6] [--pool 10]
 *
 * Rate limits: every RATE_LIMIT_* variable of the environment is passed to the API, so a run can raise them.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import globalSetup from '../harness/global-setup.js';
import {
  findLostWrites,
  outcomes,
  percentile,
  runLoad,
  seedLoadActors,
  outlastClientKeepAlive,
} from '../harness/load-driver.js';
import { startTestApi } from '../harness/test-api.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    orgs: { type: 'string', default: '6' },
    pool: { type: 'string', default: '10' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const seed = Number(values.seed);
const orgs = Number(values.orgs);
const pool = values.pool!;

await globalSetup();
const rateLimits = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('RATE_LIMIT_') && !!e[1]),
);
const api = await startTestApi({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: pool, ...rateLimits });
outlastClientKeepAlive(api.app.getHttpServer());
let failed: boolean;
try {
  const actors = await seedLoadActors(api.url, api.db.owner, async (id) => (await api.tokens.issue(id)).token, {
    orgs,
  });
  const load0 = loadavg()[0]!;
  const run = await runLoad({ url: api.url, actors, seconds, connections, seed });
  const load1 = loadavg()[0]!;
  const counts = outcomes(run.requests);
  const errors = run.requests.length - (counts.ok ?? 0);
  const writes = run.requests.filter((r) => /^(add|register|record|send)/.test(r.op));
  const lost = await findLostWrites(api.url, api.db.owner, run.acks);

  console.log(
    `\nload bench: ${seconds} s, ${connections} connections, seed ${seed}, ${orgs} organizations x 2 users, ` +
      `pool ${pool}, node ${process.version}`,
  );
  console.log(`requests            ${run.requests.length} (${(run.requests.length / run.seconds).toFixed(0)} req/s)`);
  console.log(`  reads / writes    ${run.requests.length - writes.length} / ${writes.length}`);
  console.log(`errors              ${errors} ${errors ? JSON.stringify(counts) : ''}`);
  console.log(
    `latency ms          p50 ${percentile(run.requests, 50)}  p95 ${percentile(run.requests, 95)}  ` +
      `p99 ${percentile(run.requests, 99)}  max ${percentile(run.requests, 100)}`,
  );
  console.log(
    `  writes            p50 ${percentile(writes, 50)}  p95 ${percentile(writes, 95)}  p99 ${percentile(writes, 99)}`,
  );
  const byKind: Record<string, number> = {};
  for (const a of run.acks) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  console.log(`acknowledged writes ${run.acks.length} ${JSON.stringify(byKind)}`);
  console.log(`lost writes         ${lost.length}${lost.length ? `\n  ${lost.slice(0, 20).join('\n  ')}` : ''}`);
  console.log(`foreign rows        ${run.foreignRows.length}`);
  console.log(`load average (1 min) ${load0.toFixed(2)} before, ${load1.toFixed(2)} after`);
  console.log(
    `\nrepeat: npm run bench:load -- --seconds ${seconds} --connections ${connections} --seed ${seed} --orgs ${orgs} --pool ${pool}`,
  );
  failed = errors > 0 || lost.length > 0 || run.foreignRows.length > 0;
} finally {
  await api.close();
}
if (failed) process.exitCode = 1;
