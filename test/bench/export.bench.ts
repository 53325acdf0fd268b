/**
 * The anonymized export end to end at a chosen size: one organization with N clients (90% with an ACTIVE grant
 * covering STATISTICS, the rest never consented, withdrawn, expired or without HEALTH), each with its case, a third
 * with a placement and two fifths with a referral; an ANALYST requests an export through GraphQL, the worker (a real
 * child process, as in production) makes it, and the CSV is downloaded over HTTP.
 *
 *   npm run bench:export                       (default: 20,000 clients)
 *   npm run bench:export -- --clients 200000   (scale L)
 *   npm run bench:export -- --clients 200000 --municipality
 *       (the requester is a MUNICIPALITY with half the clients; the other half are a HELLO_WORK's, their grants
 *       naming the municipality: the consented part of its cohort)
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

const arg = process.argv.indexOf('--clients');
const clients = Number(arg >= 0 ? process.argv[arg + 1] : (process.env.BENCH_CLIENTS ?? 20_000));
if (!Number.isInteger(clients) || clients < 1) throw new Error('--clients N: a positive integer');
const municipality = process.argv.includes('--municipality');
const STATES = ['NEVER', 'WITHDRAWN', 'EXPIRED', 'MISSING_CATEGORY'] as const;

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
};

await globalSetup();
const api = await startTestApi({ LOG_LEVEL: 'silent' });
try {
  const f = factories(api.db.owner);
  const org = await f.organization({ kind: municipality ? 'MUNICIPALITY' : 'HELLO_WORK' });
  const partners = [
    (await f.organization({ kind: 'DISEASE_SUPPORT_CENTER' })).id,
    (await f.organization({ kind: 'VOCATIONAL_CENTER' })).id,
    (await f.organization({ kind: 'WORK_LIFE_SUPPORT_CENTER' })).id,
  ];
  const analyst = await f.member(org.id, ['ANALYST']);
  const { token } = await api.tokens.issue(analyst.id);
  let t = performance.now();
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
    t = performance.now();
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
    console.log(`\nrepeat: npm run bench:export -- --clients ${clients}${municipality ? ' --municipality' : ''}`);
  } finally {
    await worker.kill();
  }
} finally {
  await api.close();
}
