/**
 * PRODUCT.md §4: the coordinator's open-cases list over HTTP, at least as fast as PostGraphile over the same tables
 * and at least half as fast as the bare SQL behind a minimal HTTP handler, with all of Tasuki's authorization on.
 * Three peers on the SAME seeded database (`tasuki_seed_<scale>_<seed>`, seeded once and reused), in the SAME run,
 * under autocannon at a fixed concurrency, alternating over several rounds, each serving the same page — the 50
 * most recently active open cases of the organization with the most open cases — with the contract's fields:
 *
 *   - Tasuki: `cases(first: 50, filter: { status: OPEN })` as a coordinator of the organization: the API as it runs
 *     (authentication, the ability, RLS as the application role, the masking view, the audit of names read);
 *   - PostGraphile 5.1 (Amber preset, as the owner role, so no RLS): `allCases(condition: { orgId, status: "OPEN" })`
 *     with the client, the current assignments' users, open referral counts and the next scheduled follow-up; every
 *     relation is also given the organization (`condition: { orgId }`), as Tasuki's SQL does, so that it reaches the
 *     same organization-first indexes instead of scanning (the schema indexes no foreign key alone);
 *   - bare SQL: one statement that builds the same JSON, behind node:http and a pg pool (the limit), with the same
 *     organization-first predicates.
 *
 * Every peer's page is checked to hold the same 50 cases before the load starts. Each has a pool of 10 connections.
 *
 *   npm run bench:peers                                           (scale L; 10 connections, 10 s x 3 rounds)
 *   BENCH_SCALE=S BENCH_SECONDS=1 BENCH_ROUNDS=1 npm run bench:peers
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import globalSetup from '../harness/global-setup.js';
import { startTestApi } from '../harness/test-api.js';
import { benchOptions, benchTargets, type HttpTarget, printFigures } from './http-bench.js';
import { asTestDatabase, benchScale, describeCounts, machine, seededDatabase } from './seeded-database.js';

// PostGraphile 5 uses Promise.withResolvers (Node 22); on Node 20 a polyfill must be in place before it loads.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((a, b) => {
        resolve = a;
        reject = b;
      });
      return { promise, resolve, reject };
    },
  });
}
process.env.GRAPHILE_ENV ??= 'production';

const opts = benchOptions();
const { scale, seed } = benchScale();
const command = `BENCH_SCALE=${scale} BENCH_SEED=${seed} BENCH_SECONDS=${opts.seconds} BENCH_ROUNDS=${opts.rounds} BENCH_CONNECTIONS=${opts.connections} npm run bench:peers`;

const TASUKI = `{ cases(first: 50, filter: { status: OPEN }) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id lastActivityAt openReferralCount nextFollowUpAt client { familyName givenName }
          assignees { id displayName } } } }`;

const POSTGRAPHILE = `query($org: UUID!) {
  allCases(first: 50, condition: { orgId: $org, status: "OPEN" }, orderBy: [LAST_ACTIVITY_AT_DESC, ROW_ID_DESC]) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes {
      rowId lastActivityAt
      clientByClientId { familyName givenName }
      caseAssignmentsByCaseId(condition: { orgId: $org, toAt: null }) { nodes { userByUserId { rowId displayName } } }
      sent: referralsByFromCaseId(condition: { orgId: $org, status: "SENT" }) { totalCount }
      received: referralsByFromCaseId(condition: { orgId: $org, status: "RECEIVED" }) { totalCount }
      accepted: referralsByFromCaseId(condition: { orgId: $org, status: "ACCEPTED" }) { totalCount }
      acceptedIncoming: referralsByToCaseId(condition: { toOrgId: $org, status: "ACCEPTED" }) { totalCount }
      followUpsByCaseId(condition: { orgId: $org, status: "SCHEDULED" }, orderBy: [DUE_ON_ASC], first: 1) {
        nodes { dueOn }
      }
    }
  }
}`;

/** The whole response, GraphQL-shaped, in one statement. */
const BARE_SQL = `
  SELECT json_build_object('data', json_build_object('cases', json_build_object(
    'totalCount', (SELECT count(*) FROM cases WHERE org_id = $1 AND status = 'OPEN'),
    'nodes', coalesce(json_agg(json_build_object(
      'id', p.id, 'lastActivityAt', p.last_activity_at, 'openReferralCount', p.open_referrals,
      'nextFollowUpOn', p.next_follow_up, 'client', json_build_object('familyName', p.family_name,
      'givenName', p.given_name), 'assignees', p.assignees) ORDER BY p.last_activity_at DESC, p.id DESC), '[]'))))::text
      AS body
    FROM (
      SELECT c.id, c.last_activity_at, cl.family_name, cl.given_name,
        (SELECT count(*) FROM referrals r WHERE r.org_id = c.org_id AND r.from_case_id = c.id
            AND r.status IN ('SENT','RECEIVED','ACCEPTED'))
        + (SELECT count(*) FROM referrals r WHERE r.to_org_id = c.org_id AND r.to_case_id = c.id
            AND r.status IN ('SENT','RECEIVED','ACCEPTED')) AS open_referrals,
        (SELECT min(f.due_on) FROM follow_ups f WHERE f.org_id = c.org_id AND f.case_id = c.id
            AND f.status = 'SCHEDULED') AS next_follow_up,
        (SELECT coalesce(json_agg(json_build_object('id', u.id, 'displayName', u.display_name)), '[]')
           FROM case_assignments a JOIN users u ON u.id = a.user_id
          WHERE a.org_id = c.org_id AND a.case_id = c.id AND a.to_at IS NULL) AS assignees
        FROM cases c JOIN clients cl ON cl.id = c.client_id
       WHERE c.org_id = $1 AND c.status = 'OPEN'
       ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 50) p`;

/** One case of a peer's page as a comparable line: id, assignees, open referrals, next follow-up day. */
function summarize(n: Record<string, unknown>): string {
  type Pgl = {
    rowId: string;
    caseAssignmentsByCaseId: { nodes: { userByUserId: { rowId: string } }[] };
    followUpsByCaseId: { nodes: { dueOn: string }[] };
  } & Record<'sent' | 'received' | 'accepted' | 'acceptedIncoming', { totalCount: number }>;
  if ('rowId' in n) {
    const p = n as unknown as Pgl;
    const open = p.sent.totalCount + p.received.totalCount + p.accepted.totalCount + p.acceptedIncoming.totalCount;
    const assignees = p.caseAssignmentsByCaseId.nodes.map((a) => a.userByUserId.rowId);
    return [p.rowId, assignees.sort().join('+'), open, p.followUpsByCaseId.nodes[0]?.dueOn ?? '-'].join(' ');
  }
  const t = n as { id: string; assignees: { id: string }[]; openReferralCount: number } & Record<string, unknown>;
  const next =
    'nextFollowUpAt' in t
      ? t.nextFollowUpAt && new Date(Date.parse(t.nextFollowUpAt as string) + 9 * 3_600_000).toISOString().slice(0, 10)
      : t.nextFollowUpOn;
  return [
    t.id,
    t.assignees
      .map((a) => a.id)
      .sort()
      .join('+'),
    t.openReferralCount,
    next ?? '-',
  ].join(' ');
}

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

await globalSetup();
const seeded = await seededDatabase(scale, seed);
const api = await startTestApi({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '10' }, asTestDatabase(seeded));
const barePool = new pg.Pool({ connectionString: seeded.ownerUrl, max: 10 });
const pglPool = new pg.Pool({ connectionString: seeded.ownerUrl, max: 10 });
const servers: Server[] = [];
let releasePostGraphile = async () => {};
try {
  const { rows } = await api.db.owner.query<{ org_id: string; coordinator: string; open: number }>(
    `SELECT c.org_id, count(*)::int AS open,
            (SELECT min(m.user_id::text) FROM memberships m WHERE m.org_id = c.org_id
                AND 'COORDINATOR' = ANY (m.roles)) AS coordinator
       FROM cases c WHERE c.status = 'OPEN' GROUP BY c.org_id ORDER BY open DESC, c.org_id LIMIT 1`,
  );
  const org = rows[0]!;
  const { token } = await api.tokens.issue(org.coordinator);

  // PostGraphile 5, the Amber preset, every column filterable (not only the indexed ones) for the same conditions.
  const { postgraphile } = await import('postgraphile');
  const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');
  const { makePgService } = await import('postgraphile/adaptors/pg');
  const { grafserv } = await import('postgraphile/grafserv/node');
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    disablePlugins: ['PgIndexBehaviorsPlugin'],
    pgServices: [makePgService({ pool: pglPool, schemas: ['public'] })],
  });
  releasePostGraphile = async () => {
    await pgl.release();
  };
  const pglServer = createServer();
  servers.push(pglServer);
  pgl.createServ(grafserv).addTo(pglServer);
  const pglUrl = await listen(pglServer);

  const bareServer = createServer((req, res) => {
    barePool.query<{ body: string }>(BARE_SQL, [org.org_id]).then(
      (r) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(r.rows[0]!.body);
      },
      (err: Error) => {
        res.writeHead(500);
        res.end(err.message);
      },
    );
  });
  servers.push(bareServer);
  const bareUrl = await listen(bareServer);

  const targets: Record<string, HttpTarget> = {
    Tasuki: {
      url: `${api.url}/graphql`,
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: TASUKI }),
    },
    'PostGraphile 5': {
      url: `${pglUrl}/graphql`,
      body: JSON.stringify({ query: POSTGRAPHILE, variables: { org: org.org_id } }),
    },
    'bare SQL + node:http': { url: bareUrl, method: 'GET' },
  };

  // The same page from each, before any load: the same cases in the same order, with the same assignees, open
  // referral counts and next follow-up day.
  const pages: Record<string, string[]> = {};
  for (const [name, t] of Object.entries(targets)) {
    const res = await fetch(t.url, {
      method: t.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...t.headers },
      body: t.body,
    });
    const body = (await res.json()) as {
      data?: Record<string, { nodes: Record<string, unknown>[] }>;
      errors?: unknown;
    };
    if (!res.ok || body.errors) throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(body.errors ?? body)}`);
    pages[name] = (body.data!.cases ?? body.data!.allCases)!.nodes.map(summarize);
  }
  const first = pages.Tasuki!;
  for (const [name, page] of Object.entries(pages)) {
    const differs = page.findIndex((row, i) => row !== first[i]);
    if (page.length !== first.length || differs >= 0) {
      throw new Error(`${name} serves another page than Tasuki: ${page[differs]} instead of ${first[differs]}`);
    }
  }

  const figures = await benchTargets(targets, opts);
  console.log(`\npeers bench: scale ${scale} (seed ${seed}), database ${seeded.name}`);
  console.log(`dataset: ${describeCounts(seeded.counts)}`);
  console.log(
    `page: the ${first.length} most recently active of the ${org.open} open cases of organization ${org.org_id}`,
  );
  console.log(machine());
  printFigures(figures, 'open-cases list over HTTP, the same page from each peer', opts);
  // No ratio when a peer completed no request in its runs (a tiny smoke run on a loaded machine).
  const ratio = (peer: string) => {
    const r = figures[peer]!.rps;
    return r > 0 ? (figures.Tasuki!.rps / r).toFixed(2) : 'n/a (no request completed)';
  };
  console.log(`\nTasuki / PostGraphile:  ${ratio('PostGraphile 5')}  (target ≥ 1)`);
  console.log(`Tasuki / bare SQL:      ${ratio('bare SQL + node:http')}  (target ≥ 0.5)`);
  console.log(`\nrepeat: ${command}`);
} finally {
  for (const s of servers) s.close();
  await releasePostGraphile().catch(() => undefined);
  await barePool.end();
  await pglPool.end().catch(() => undefined);
  await api.close();
}
