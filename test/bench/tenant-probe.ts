/**
 * The cross-tenant probe at any size (the CI test runs 500 operations):
 *
 *   npm run probe                                   (seed 1, 3,000 operations)
 *   npm run probe -- --seed 7 --count 20000         (another seed, a long run)
 *   npm run probe -- --seed 7 --count 5000 --each   (checksum B, C and D after every mutation: names the culprit)
 *   npm run probe -- --count 3000 --no-rls          (the first wall alone: row-level security disabled on every table
 *                                                    of the probe's own database, so only the service's checks hold)
 *
 * Builds the probe world on a fresh test database and a real API on a loopback port, runs the probe, prints its
 * figures and every finding with the operation and variables, and exits 1 when there is any finding.
 */
import globalSetup from '../harness/global-setup.js';
import { buildProbeWorld, disableRowLevelSecurity, tenantTables } from '../harness/probe-world.js';
import { formatFinding, PROBE_API_ENV, runTenantProbe, summarize } from '../harness/tenant-probe.js';
import { startTestApi } from '../harness/test-api.js';

const option = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = Number(i >= 0 ? process.argv[i + 1] : fallback);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} N: a non-negative integer`);
  return v;
};
const seed = option('seed', 1);
const count = option('count', 3000);
const each = process.argv.includes('--each');
const noRls = process.argv.includes('--no-rls');

await globalSetup();
const api = await startTestApi({ ...PROBE_API_ENV, LOG_LEVEL: 'silent' });
let failed: boolean;
try {
  const world = await buildProbeWorld(api);
  if (noRls) {
    const tables = await disableRowLevelSecurity(api.db.owner);
    console.log(`row-level security disabled on ${tables} tables: the service's checks alone`);
  }
  let shown = 0;
  const report = await runTenantProbe(api, world, {
    seed,
    count,
    checksumEach: each,
    progress: (done, total) => {
      if (done === total || done - shown >= 500) {
        shown = done;
        process.stderr.write(`  ${done}/${total}\n`);
      }
    },
  });
  console.log(summarize(report, (await tenantTables(api.db.owner)).length + 2));
  console.log(
    `  repeat: npm run probe -- --seed ${seed} --count ${count}${each ? ' --each' : ''}${noRls ? ' --no-rls' : ''}`,
  );
  for (const f of report.findings) console.log(`\n${formatFinding(f)}`);
  if (report.unprobed.length) console.log(`\nnot probed: ${report.unprobed.join(', ')}`);
  failed = report.findings.length > 0 || report.unprobed.length > 0;
} finally {
  await api.close();
}
process.exit(failed ? 1 : 0);
