import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cast, type Data } from '../harness/cast.js';
import { databaseIds, exportProblems, parseCsv } from '../harness/export-checks.js';
import { factories } from '../harness/factories.js';
import {
  diseaseList,
  seedDesignatedDiseases,
  seedReportingCohort,
  type ConsentState,
  type SeededClient,
} from '../harness/reporting-seed.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { checkTableDisclosure } from '../harness/table-disclosure-checker.js';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { eventually as untilDone, startWorker } from '../harness/worker.js';

const REQUEST = `mutation { requestAnonymizedExport { id } }`;
const EXPORT = `query($id: ID!) { reportExport(id: $id) { id status k l rowCount suppressedCount cohortCount scope
  consentedCohortCount error csv aggregates { name title measure kind unit rowDimension columnDimension rows columns
  cells } } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawConsent(id: $id, reason: "本人の申し出") { id status } }`;
const CLIENT = `query($id: ID!) { client(id: $id) { id familyName birthDate } }`;

const OKINAWA = ['沖縄県', '九州・沖縄'];

/**
 * The MUNICIPALITY scope of anonymized reporting end to end (GraphQL and the worker, a real child process): a
 * municipality's export covers its own consenting clients and the clients of other organizations whose ACTIVE grant
 * covers STATISTICS and names it; a HELLO_WORK named by such grants still gets its own clients only. Everyone who
 * must not appear in an export lives in 沖縄, where no one who may appear lives.
 */
describe('the MUNICIPALITY scope of anonymized exports', () => {
  let api: TestApi;
  let worker: ServiceProcess;
  const t: Record<string, string> = {};
  const org: Record<string, string> = {};
  let own: SeededClient[];
  let hwClients: SeededClient[];
  let npoClients: SeededClient[];
  const done: Data[] = [];
  const { run, ok } = cast(() => api, t, org);

  /** The hw clients' grants, by index: i % 10 — 0 no STATISTICS, 1 withdrawn, 2 expired, 3 names someone else. */
  const HW_STATES: Record<number, ConsentState> = { 0: 'NEVER', 1: 'WITHDRAWN', 2: 'EXPIRED' };
  const namesSomeoneElse = (i: number) => i % 10 === 3;
  const namesMunicipality = (c: SeededClient, i: number) => c.consent === 'ACTIVE' && !namesSomeoneElse(i);

  const exportFor = async (who: string) => {
    const id = (await ok(who, REQUEST)).requestAnonymizedExport.id as string;
    const e = (await untilDone(
      async () => {
        const x = (await ok(who, EXPORT, { id })).reportExport as Data;
        return ['SUCCEEDED', 'FAILED'].includes(x.status) ? x : null;
      },
      30_000,
      () => worker.describe(),
    )) as Data;
    expect(e).toMatchObject({ status: 'SUCCEEDED', error: null });
    done.push(e);
    return e;
  };

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    org.muni = (await f.organization({ name: '札幌市', kind: 'MUNICIPALITY', prefectureCode: '01' })).id;
    org.hw = (await f.organization({ name: 'ハローワーク札幌', kind: 'HELLO_WORK', prefectureCode: '01' })).id;
    org.npo = (await f.organization({ kind: 'NPO' })).id;
    org.partner = (await f.organization({ kind: 'VOCATIONAL_CENTER' })).id;
    for (const [name, o, roles] of [
      ['muniAnalyst', 'muni', ['ANALYST']],
      ['hwAnalyst', 'hw', ['ANALYST']],
      ['hwCoordinator', 'hw', ['COORDINATOR']],
    ] as const) {
      t[name] = (await api.tokens.issue((await f.member(org[o]!, [...roles])).id)).token;
    }
    await seedDesignatedDiseases(api.db.owner, await diseaseList());
    const mayAppear = (p: string) => (Number(p) >= 40 ? '13' : p);
    own = await seedReportingCohort(api.db.owner, {
      orgId: org.muni,
      partnerOrgIds: [org.partner],
      size: 200,
      seed: 61,
      intakeYears: 2,
      prefecture: (_, p) => mayAppear(p),
    });
    hwClients = await seedReportingCohort(api.db.owner, {
      orgId: org.hw,
      partnerOrgIds: [org.partner],
      size: 500,
      seed: 62,
      intakeYears: 2,
      consent: (i) => HW_STATES[i % 10] ?? (i % 10 === 4 ? 'MISSING_CATEGORY' : 'ACTIVE'),
      recipients: (i) => (namesSomeoneElse(i) ? [org.partner] : [org.partner, org.muni]),
      prefecture: (consent, p) => (consent !== 'ACTIVE' ? '47' : mayAppear(p)),
    });
    // Those whose ACTIVE grant names someone else live in 沖縄 too: never in the municipality's export (they are in
    // HELLO_WORK's own).
    await api.db.owner.query(`UPDATE clients SET prefecture_code = '47' WHERE id = ANY ($1::uuid[])`, [
      hwClients.filter((_, i) => namesSomeoneElse(i)).map((c) => c.id),
    ]);
    // An NPO's clients whose STATISTICS grant names the HELLO_WORK (and another municipality's worth of nothing).
    npoClients = await seedReportingCohort(api.db.owner, {
      orgId: org.npo,
      partnerOrgIds: [org.hw],
      size: 80,
      seed: 63,
      prefecture: () => '47',
    });
    worker = await startWorker(api);
  }, 120_000);
  afterAll(async () => {
    await worker?.kill();
    await api?.close();
  });

  it('covers the municipality’s clients and those whose ACTIVE STATISTICS grant names it, and no one else', async () => {
    // A withdrawal through the API before the export: the client leaves at once.
    const leaving = hwClients.find(namesMunicipality)!;
    await ok('hwCoordinator', WITHDRAW, { id: leaving.consentId });
    leaving.consent = 'WITHDRAWN';

    const consented = hwClients.filter(namesMunicipality).length;
    const e = await exportFor('muniAnalyst');
    expect(consented).toBeGreaterThan(150);
    expect(e).toMatchObject({
      scope: 'OWN_AND_CONSENTED',
      cohortCount: own.length + consented,
      consentedCohortCount: consented,
    });
    const rows = parseCsv(e.csv);
    expect(rows).toHaveLength(e.rowCount);
    expect(e.rowCount + e.suppressedCount).toBe(e.cohortCount);
    // No one without STATISTICS, withdrawn, expired, missing a category, naming someone else, or the NPO's.
    expect(rows.filter((r) => OKINAWA.includes(r.area!))).toEqual([]);
    // Each row's organization kind is its owner's (when the chosen node names kinds at all).
    const kinds = new Set(rows.map((r) => r.organizationKind));
    if (!kinds.has('すべての機関種別')) expect([...kinds].sort()).toEqual(['ハローワーク', '市区町村'].sort());
  });

  it('gives a HELLO_WORK named by STATISTICS grants its own clients only', async () => {
    const e = await exportFor('hwAnalyst');
    const ownActive = hwClients.filter((c) => c.consent === 'ACTIVE').length;
    expect(e).toMatchObject({ scope: 'OWN', cohortCount: ownActive, consentedCohortCount: 0 });
    expect(npoClients.length).toBe(80);
    const rows = parseCsv(e.csv);
    expect(new Set(rows.map((r) => r.organizationKind)).size).toBe(1);
  });

  it('keeps a municipality’s analyst away from the client fields of the clients it counts', async () => {
    const someone = hwClients.find(namesMunicipality)!;
    const r = await run('muniAnalyst', CLIENT, { id: someone.id });
    expect(r.data?.client ?? null).toBeNull();
    expect(codes(r).length).toBeGreaterThan(0);
  });

  it('counts the consented clients in the municipality’s tables, which pass the disclosure checker', async () => {
    const e = done.find((x) => x.scope === 'OWN_AND_CONSENTED')!;
    const counts = (e.aggregates as Data[]).filter((x) => x.kind === 'COUNT');
    expect(checkTableDisclosure(counts as never, 10)).toEqual([]);
    const byKind = counts.find((x) => x.name === 'newClients.fiscalYear.organizationKind')!;
    expect(byKind.columns).toEqual(expect.arrayContaining(['ハローワーク', '市区町村']));
    const grand = byKind.cells.at(-1).at(-1);
    if (grand !== null) expect(grand).toBe(e.cohortCount);
    const routes = counts.find((x) => x.name === 'referrals.route.result')!;
    expect(routes.rows).toEqual(expect.arrayContaining(['ハローワーク → 地域障害者職業センター']));
    const region = counts.find((x) => x.name === 'newClients.fiscalYear.region')!;
    expect(region.columns.filter((c: string) => OKINAWA.includes(c))).toEqual([]);
  });

  it('every export passes the independent checker, and no token or cell equals any id of the database', async () => {
    const all = await databaseIds(api.db.owner);
    expect(all.size).toBeGreaterThan(2000);
    expect(done.length).toBe(2);
    for (const e of done) {
      const rows = parseCsv(e.csv);
      expect(
        exportProblems(rows, e.k, e.l, { age: { column: 'age', topCode: '85歳以上' }, forbiddenValues: all }),
      ).toEqual([]);
    }
  });
});
