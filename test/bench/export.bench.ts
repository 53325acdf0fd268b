/**
 * The anonymized export end to end at a chosen size: one organization with N clients (90% with an ACTIVE grant
 * covering STATISTICS, the rest never consented, withdrawn, expired or without HEALTH), each with its case, a third
 * with a placement and two fifths with a referral; an ANALYST requests an export through GraphQL, the worker (a real
 * child process, as in production) makes it, and the CSV is downloaded over HTTP.
 *
 *   npm run bench:export                       (default: 20,000 clients)
 *   npm run bench:export -- --clients 200000 --municipality
 *       (the requester is a MUNICIPALITY with half the clients; the other half are a HELLO_WORK's, their grants
 *       naming the municipality: the consented part of its cohort)
 *   npm run bench:export -- --clients 200000   (all of scale L's clients in one organization: the worst case)
 *   npm run bench:export -- --scale L          (the seeded network, `tasuki_seed_l_1`: its largest cohort)
 *
 * With --scale (S, M or L; BENCH_SEED picks the seed) the export runs on the seeded database of the benchmarks
 * (seeded once, then reused), for the organization with the most clients under an ACTIVE grant covering STATISTICS.
 *
 * Prints the job's seconds (from the worker's own log line) and the worker's resident memory before the request and
 * at its peak (VmRSS / VmHWM from /proc: Linux), the export's counts, and the download's seconds and size.
 */
import { readFileSync } from 'node:fs';
import globalSetup from '../harness/global-setup.js';
import { factories } from '../harness/factories.js';
import { diseaseList, seedDesignatedDiseases, seedReportingCohort } from '../harness/reporting-seed.js';
import { startTestApi } from '../harness/test-api.js';
import { startWorker } from '../harness/worker.js';
import {
  asTestDatabase,
  benchScale,
  describeCounts,
  machine,
  seededDatabase,
  type SeededDatabase,
} from './seeded-database.js';

const option = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const clients = Number(option('--clients') ?? process.env.BENCH_CLIENTS ?? 20_000);
if (!Number.isInteger(clients) || clients < 1) throw new Error('--clients N: a positive integer');
const municipality = process.argv.includes('--municipality');
const scaleArg = option('--scale');
if (scaleArg) process.env.BENCH_SCALE = scaleArg;
const STATES = ['NEVER', 'WITHDRAWN', 'EXPIRED', 'MISSING_CATEGORY'] as const;

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
};

await globalSetup();
const seeded = scaleArg ? await seededDatabase(benchScale().scale, benchScale().seed) : null;
const api = await startTestApi({ LOG_LEVEL: 'silent' }, seeded ? asTestDatabase(seeded) : undefined);
try {
  const { token, repeat } = seeded ? await seededAnalyst(seeded) : await syntheticCohort();
  await measure(token, repeat);
} finally {
  await api.close();
}

/** The seeded network's organization with the largest statistics cohort, and one of its analysts. */
async function seededAnalyst(d: SeededDatabase) {
  const { rows } = await api.db.owner.query<{ org_id: string; analyst: string; cohort: number; clients: number }>(
    `SELECT g.org_id, count(DISTINCT g.client_id)::int AS cohort,
            (SELECT count(*)::int FROM clients c WHERE c.org_id = g.org_id) AS clients,
            (SELECT min(m.user_id::text) FROM memberships m WHERE m.org_id = g.org_id AND 'ANALYST' = ANY (m.roles))
              AS analyst
       FROM consent_grants g JOIN clients c ON c.id = g.client_id AND c.org_id = g.org_id
      WHERE 'STATISTICS' = ANY (g.purposes) AND g.withdrawn_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
      GROUP BY g.org_id ORDER BY cohort DESC, g.org_id LIMIT 1`,
  );
  const org = rows[0]!;
  console.log(`\nexport bench: scale ${d.scale} (seed ${d.seed}), database ${d.name}`);
  console.log(`dataset: ${describeCounts(d.counts)}`);
  console.log(
    `organization ${org.org_id}: ${org.clients} clients, ${org.cohort} under an ACTIVE grant covering STATISTICS`,
  );
  console.log(machine());
  return {
    token: (await api.tokens.issue(org.analyst)).token,
    repeat: `BENCH_SEED=${d.seed} npm run bench:export -- --scale ${d.scale}`,
  };
}

/** One organization with `clients` clients made for the export (reporting-seed's cohort). */
async function syntheticCohort() {
  const f = factories(api.db.owner);
  const org = await f.organization({ kind: municipality ? 'MUNICIPALITY' : 'HELLO_WORK' });
  const partners = [
    (await f.organization({ kind: 'DISEASE_SUPPORT_CENTER' })).id,
    (await f.organization({ kind: 'VOCATIONAL_CENTER' })).id,
    (await f.organization({ kind: 'WORK_LIFE_SUPPORT_CENTER' })).id,
  ];
  const analyst = await f.member(org.id, ['ANALYST']);
  const { token } = await api.tokens.issue(analyst.id);
  const t = performance.now();
  await seedDesignatedDiseases(api.db.owner, await diseaseList());
  const consent = (i: number) => (i % 40 < STATES.length ? STATES[i % 40]! : 'ACTIVE');
  const own = municipality ? Math.floor(clients / 2) : clients;
  await seedReportingCohort(api.db.owner, { orgId: org.id, partnerOrgIds: partners, size: own, seed: 2026, consent });
  if (municipality) {
    const hw = await f.organization({ kind: 'HELLO_WORK' });
    await seedReportingCohort(api.db.owner, {
      orgId: hw.id,
      partnerOrgIds: partners,
      size: clients - own,
      seed: 2027,
      consent,
      recipients: () => [partners[0]!, org.id],
    });
  }
  await api.db.owner.query('VACUUM ANALYZE');
  console.log(
    `\nexport bench: ${clients.toLocaleString('en')} clients seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  return { token, repeat: `npm run bench:export -- --clients ${clients}${municipality ? ' --municipality' : ''}` };
}

async function measure(token: string, repeat: string) {
  const worker = await startWorker(api, { LOG_LEVEL: 'info' });
  try {
    const before = memory(worker.child.pid!);
    const requested = await api.gql<{ requestAnonymizedExport: { id: string } }>(
      'mutation { requestAnonymizedExport { id } }',
      {},
      { token },
    );
    if (requested.errors) throw new Error(JSON.stringify(requested.errors));
    const id = requested.data!.requestAnonymizedExport.id;
    const done = await worker.waitForLog((l) => l.msg === 'report export job completed', 600_000);
    const after = memory(worker.child.pid!);
    const e = await api.gql<{ reportExport: Record<string, unknown> }>(
      `query($id: ID!) { reportExport(id: $id) { status cohortCount consentedCohortCount rowCount suppressedCount shortfall
        generalization { column levelName } aggregates { name } } }`,
      { id },
      { token },
    );
    const x = e.data!.reportExport as {
      status: string;
      cohortCount: number;
      consentedCohortCount: number;
      rowCount: number;
      suppressedCount: number;
      shortfall: string | null;
      generalization: { column: string; levelName: string }[];
      aggregates: unknown[];
    };
    const t = performance.now();
    const res = await fetch(`${api.url}/exports/${id}.csv`, { headers: { authorization: `Bearer ${token}` } });
    const bytes = (await res.arrayBuffer()).byteLength;
    const download = (performance.now() - t) / 1000;

    console.log(`job: ${x.status} in ${((done.ms as number) / 1000).toFixed(2)} s (${String(done.result)})`);
    console.log(`worker RSS: ${mb(before.rss)} before the request, peak ${mb(after.peak)}`);
    console.log(
      `cohort ${x.cohortCount} (${x.consentedCohortCount} through consent), published ${x.rowCount}, suppressed ${x.suppressedCount}` +
        `${x.shortfall ? ` (${x.shortfall})` : ''}; node ${x.generalization.map((g) => `${g.column}=${g.levelName}`).join(' ')}; ` +
        `${x.aggregates.length} aggregate tables`,
    );
    console.log(`download: HTTP ${res.status}, ${(bytes / 2 ** 20).toFixed(1)} MB of CSV in ${download.toFixed(2)} s`);
    console.log(`\nrepeat: ${repeat}`);
  } finally {
    await worker.kill();
  }
}
