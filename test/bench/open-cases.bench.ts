/**
 * PRODUCT.md §4: the coordinator's open-cases query at scale L — p95 under 30 ms in the server, a bounded number of
 * SQL statements per request. Seeds (once) or reuses the database `tasuki_seed_<scale>_<seed>`, starts the API on it
 * (authorization, RLS, the masking view and the audit of names read all on), and sends BENCH_REQUESTS requests, one at
 * a time, from coordinators of every organization in turn, with varied filters and a second page through the cursor:
 *
 *   cases(first: 50, filter: { status: OPEN [, hasOpenReferral | staleDays | assigneeId] } [, after: <cursor>])
 *   { totalCount pageInfo nodes { id lastActivityAt openReferralCount nextFollowUpAt client { familyName givenName }
 *     assignees { id displayName } } }
 *
 * The time is taken inside the API process, from the HTTP request's arrival to the response's last byte
 * (`request` → `finish` on its http.Server), not as the client sees it. Statements are the Database's own count.
 *
 *   npm run bench:open-cases                                   (scale L, seed 1, 3,000 requests)
 *   BENCH_SCALE=S BENCH_REQUESTS=200 npm run bench:open-cases  (a quick run)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Database } from '@tasuki/platform';
import globalSetup from '../harness/global-setup.js';
import { startTestApi } from '../harness/test-api.js';
import { asTestDatabase, benchScale, describeCounts, machine, seededDatabase } from './seeded-database.js';

const { scale, seed } = benchScale();
const requests = Number(process.env.BENCH_REQUESTS ?? 3000);
if (!Number.isInteger(requests) || requests < 1) throw new Error('BENCH_REQUESTS: a positive integer');
const command = `BENCH_SCALE=${scale} BENCH_SEED=${seed} BENCH_REQUESTS=${requests} npm run bench:open-cases`;

const FIELDS = `totalCount pageInfo { hasNextPage endCursor }
  nodes { id lastActivityAt openReferralCount nextFollowUpAt client { familyName givenName } assignees { id displayName } }`;
const LIST = `query($filter: CaseFilter, $after: String) { cases(first: 50, filter: $filter, after: $after) { ${FIELDS} } }`;

type Variant = 'open' | 'page 2' | 'open, has open referral' | 'open, stale 30 days' | 'open, one assignee';
const VARIANTS: Variant[] = ['open', 'page 2', 'open, has open referral', 'open, stale 30 days', 'open, one assignee'];

await globalSetup();
const seeded = await seededDatabase(scale, seed);
const api = await startTestApi({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' }, asTestDatabase(seeded));
try {
  const db = api.app.get(Database);
  // Server-side time of each request: from its arrival in the API process to the last byte of the response.
  let last = 0;
  api.app.getHttpServer().prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      last = Number(process.hrtime.bigint() - start) / 1e6;
    });
  });

  // A coordinator of every organization, and a case holder of it for the assignee filter.
  const { rows: orgs } = await api.db.owner.query<{ org_id: string; coordinator: string; holder: string }>(
    `SELECT m.org_id, min(m.user_id::text) FILTER (WHERE 'COORDINATOR' = ANY (m.roles)) AS coordinator,
            (SELECT a.user_id FROM case_assignments a WHERE a.org_id = m.org_id AND a.to_at IS NULL
              GROUP BY a.user_id ORDER BY count(*) DESC, a.user_id LIMIT 1) AS holder
       FROM memberships m GROUP BY m.org_id HAVING bool_or('COORDINATOR' = ANY (m.roles)) ORDER BY m.org_id`,
  );
  const tokens = new Map<string, string>();
  for (const o of orgs) tokens.set(o.org_id, (await api.tokens.issue(o.coordinator)).token);

  const send = async (org: (typeof orgs)[number], variant: Variant, cursor: string | null) => {
    const filter: Record<string, unknown> = { status: 'OPEN' };
    if (variant === 'open, has open referral') filter.hasOpenReferral = true;
    if (variant === 'open, stale 30 days') filter.staleDays = 30;
    if (variant === 'open, one assignee' && org.holder) filter.assigneeId = org.holder;
    const before = db.statementCount;
    const r = await api.gql<{ cases: { nodes: unknown[]; pageInfo: { endCursor: string | null } } }>(
      LIST,
      { filter, after: variant === 'page 2' ? cursor : null },
      { token: tokens.get(org.org_id)! },
    );
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return { ms: last, statements: db.statementCount - before, rows: r.data!.cases.nodes.length, page: r.data!.cases };
  };

  // Warm-up, one request per organization (not measured): connections, plans, caches, and each first page's cursor.
  const cursors = new Map<string, string | null>();
  for (const o of orgs) cursors.set(o.org_id, (await send(o, 'open', null)).page.pageInfo.endCursor);

  const samples: { variant: Variant; ms: number; statements: number; rows: number }[] = [];
  for (let i = 0; i < requests; i++) {
    const org = orgs[i % orgs.length]!;
    const variant = VARIANTS[Math.floor(i / orgs.length + i) % VARIANTS.length]!;
    const s = await send(org, variant, cursors.get(org.org_id) ?? null);
    samples.push({ variant, ms: s.ms, statements: s.statements, rows: s.rows });
  }

  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  };
  const line = (label: string, xs: typeof samples) => {
    const ms = xs.map((x) => x.ms);
    const st = xs.map((x) => x.statements);
    return `${label.padEnd(26)} ${String(xs.length).padStart(6)} ${pct(ms, 50).toFixed(1).padStart(8)} ${pct(ms, 95).toFixed(1).padStart(8)} ${pct(ms, 99).toFixed(1).padStart(8)} ${Math.max(
      ...ms,
    )
      .toFixed(1)
      .padStart(8)}   ${Math.min(...st)}–${Math.max(...st)}`;
  };
  console.log(`\nopen-cases bench: scale ${scale} (seed ${seed}), database ${seeded.name}`);
  console.log(`dataset: ${describeCounts(seeded.counts)}`);
  console.log(`${machine()}`);
  console.log(
    `${requests} requests one at a time over ${orgs.length} organizations' coordinators, ${samples.filter((s) => s.rows === 50).length} of them returning a full page of 50`,
  );
  console.log(`\nserver-side ms             requests      p50      p95      p99      max   SQL statements`);
  console.log(line('all', samples));
  for (const v of VARIANTS)
    console.log(
      line(
        `  ${v}`,
        samples.filter((s) => s.variant === v),
      ),
    );
  console.log(`\nrepeat: ${command}`);
} finally {
  await api.close();
}
