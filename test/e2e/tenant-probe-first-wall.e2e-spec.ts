import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildProbeWorld, disableRowLevelSecurity, tenantTables } from '../harness/probe-world.js';
import { formatFinding, PROBE_API_ENV, runTenantProbe, summarize, type ProbeReport } from '../harness/tenant-probe.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

const SEED = Number(process.env.PROBE_SEED ?? 20261122);

/**
 * PRODUCT.md: "either wall alone must hold". The cross-tenant probe's sweep (every root field, id slot and role, with
 * an object elsewhere, an unreachable one and a withdrawn one) with row-level security turned off on this file's own
 * database: only the service's checks (CASL, the queries' own conditions, the masking view) stand. The second wall
 * alone is proven under the application role by test/integration/*-rls.spec.ts.
 */
describe('cross-tenant probe, the first wall alone (row-level security off)', () => {
  let api: TestApi;
  let report: ProbeReport;

  beforeAll(async () => {
    api = await startTestApi(PROBE_API_ENV);
    const world = await buildProbeWorld(api);
    await disableRowLevelSecurity(api.db.owner);
    report = await runTenantProbe(api, world, { seed: SEED, count: 0, checksumEach: true });
    const tables = (await tenantTables(api.db.owner)).length + 2;
    console.log(`${summarize(report, tables)}\n  repeat: npm run probe -- --seed ${SEED} --count 0 --no-rls --each`);
  }, 900_000);
  afterAll(() => api.close());

  it('finds nothing: no datum of another organization, no telling answer, no change to B', () => {
    if (report.findings.length) {
      throw new Error(`${report.findings.length} findings:\n${report.findings.map(formatFinding).join('\n\n')}`);
    }
    expect(report.unprobed).toEqual([]);
  });
});
