import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { probeFields, prng, servedSchema } from '../harness/probe-schema.js';
import { buildProbeWorld, checksum, PEOPLE, tenantTables, type ProbeWorld } from '../harness/probe-world.js';
import {
  comparable,
  formatFinding,
  PROBE_API_ENV,
  probeOnce,
  runTenantProbe,
  summarize,
  type ProbeReport,
} from '../harness/tenant-probe.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

/** CI size; `npm run probe -- --seed N --count M` runs thousands. */
const SEED = Number(process.env.PROBE_SEED ?? 20261121);
const COUNT = Number(process.env.PROBE_COUNT ?? 500);

/**
 * The randomized cross-tenant probe (test/harness/tenant-probe.ts) at CI size: every root field of the served schema
 * that names an object by id, as every role of organization A, against B's, C's and D's objects, A's objects the role
 * may not reach, withdrawn consent and random ids. Zero findings, and no resolver left unprobed.
 */
describe('cross-tenant probe', () => {
  let api: TestApi;
  let world: ProbeWorld;
  let report: ProbeReport;

  beforeAll(async () => {
    api = await startTestApi(PROBE_API_ENV);
    world = await buildProbeWorld(api);
    report = await runTenantProbe(api, world, { seed: SEED, count: COUNT, checksumEach: true });
    const tables = (await tenantTables(api.db.owner)).length + 2;
    console.log(`${summarize(report, tables)}\n  repeat: npm run probe -- --seed ${SEED} --count ${COUNT}`);
  }, 900_000);
  afterAll(() => api.close());

  it('finds no datum of another organization, no difference between "elsewhere" and "nowhere", no change to B', () => {
    if (report.findings.length) {
      throw new Error(`${report.findings.length} findings:\n${report.findings.map(formatFinding).join('\n\n')}`);
    }
    expect(report.operations).toBeGreaterThanOrEqual(COUNT);
  });

  it('probed every root field that takes an id or an input naming one, and compared each with a random id', async () => {
    const fields = probeFields(await servedSchema(api));
    const withIds = fields.map((f) => `${f.operation}.${f.name}`);
    expect(withIds.length).toBeGreaterThan(30);
    expect(report.unprobed).toEqual([]);
    expect(Object.keys(report.perField).sort()).toEqual(withIds.sort());
    const mustCompare = fields.filter(comparable).map((f) => `${f.operation}.${f.name}`);
    expect(mustCompare.filter((k) => !report.compared.has(k))).toEqual([]);
    // Every id slot names a known object type (a new argument's name that names none would be probed with ids of
    // every kind, but should get an alias in probe-schema.ts).
    expect(
      fields.flatMap((f) => f.slots.filter((s) => s.kind === 'Unknown').map((s) => `${f.name}.${s.path}`)),
    ).toEqual([]);
  });

  it('would notice a leak, a telling answer and a change (self-test: A’s own case posing as B’s)', async () => {
    const pf = probeFields(await servedSchema(api)).find((f) => f.name === 'case')!;
    const posing = { ...world, secretTexts: { ...world.secretTexts, aCoordinator: [PEOPLE.A1.familyName] } };
    const r = await probeOnce(
      api,
      posing,
      prng(1),
      { role: 'aCoordinator', pf, slot: pf.slots[0]!, category: 'elsewhere' },
      world.own.Case![0]!,
    );
    expect(r.findings.map((f) => f.what).sort()).toEqual(['DISTINGUISHABLE', 'LEAK']);
    const before = await checksum(api.db.owner, world.guarded);
    await api.db.owner.query(`UPDATE cases SET last_activity_at = now() WHERE org_id = $1`, [world.org.B]);
    const after = await checksum(api.db.owner, world.guarded);
    expect(Object.keys(after).filter((t) => after[t] !== before[t])).toEqual(['cases']);
  });
});
