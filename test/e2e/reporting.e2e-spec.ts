import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cast, type Data } from '../harness/cast.js';
import { databaseIds, EXPORT_COLUMNS, exportProblems, parseCsv } from '../harness/export-checks.js';
import { factories } from '../harness/factories.js';
import {
  diseaseList,
  seedDesignatedDiseases,
  seedReportingCohort,
  type SeededClient,
} from '../harness/reporting-seed.js';
import type { ServiceProcess } from '../harness/service-process.js';
import { eventually as untilDone, startWorker } from '../harness/worker.js';
import { checkTableDisclosure } from '../harness/table-disclosure-checker.js';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';

const REQUEST = `mutation($input: ExportInput) { requestAnonymizedExport(input: $input) { id status k l from to
  requestedAt } }`;
const EXPORT = `query($id: ID!) { reportExport(id: $id) { id status k l rowCount suppressedCount cohortCount columns
  columnLabels snapshotAt finishedAt expiresAt expired error shortfall generalization { column level levelName } } }`;
const CSV = `query($id: ID!) { reportExport(id: $id) { id csv } }`;
const AGGREGATES = `query($id: ID!) { reportExport(id: $id) { aggregates { name title measure kind unit rowDimension
  columnDimension rows columns cells } } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawConsent(id: $id, reason: "本人の申し出") { id status } }`;

const COLUMNS = EXPORT_COLUMNS;
const OUTCOMES = new Set(['就職・在職中', '就職後に離職', '未就職・支援中', '未就職・支援終結']);
const OKINAWA_REGION = '九州・沖縄';

/**
 * Anonymized reporting end to end: an ANALYST requests an export through GraphQL, the worker (a real child process)
 * makes it from one REPEATABLE READ snapshot of the consenting cohort, and the analyst reads the CSV (GraphQL and
 * GET /exports/:id.csv) and the aggregate tables. Every export is judged by the independent checkers.
 */
describe('anonymized exports through the worker', () => {
  let api: TestApi;
  let worker: ServiceProcess;
  const t: Record<string, string> = {};
  const org: Record<string, string> = {};
  let clients: SeededClient[];
  let ids: Set<string>;
  const done: Data[] = [];
  const { run, ok } = cast(() => api, t, org);

  const eventually = <T>(check: () => Promise<T | undefined | null | false>) =>
    untilDone(check, 20_000, () => worker.describe());
  const exportOf = async (who: string, id: string) => (await ok(who, EXPORT, { id })).reportExport as Data;
  const finished = (id: string) =>
    eventually(async () => {
      const e = await exportOf('hwAnalyst', id);
      return ['SUCCEEDED', 'FAILED'].includes(e.status) ? e : null;
    });
  const requestAndWait = async (input: Data = {}) => {
    const e = await finished((await ok('hwAnalyst', REQUEST, { input })).requestAnonymizedExport.id);
    expect(e).toMatchObject({ status: 'SUCCEEDED', error: null });
    done.push(e);
    return e;
  };
  const csvRows = async (id: string) => parseCsv((await ok('hwAnalyst', CSV, { id })).reportExport.csv);
  const httpCsv = (id: string, who?: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}/exports/${id}.csv`, {
      headers: {
        ...(who ? { authorization: `Bearer ${t[who]}`, 'x-organization-id': org[who.replace(/[A-Z].*$/, '')]! } : {}),
        ...headers,
      },
    });
  const auditCount = async (action: string, subjectId: string) =>
    (
      await api.db.owner.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = $1 AND subject_id = $2`, [
        action,
        subjectId,
      ])
    ).rows[0].n as number;
  const activeCount = () => clients.filter((c) => c.consent === 'ACTIVE').length;

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    org.hw = (await f.organization({ name: 'ハローワーク札幌', kind: 'HELLO_WORK', prefectureCode: '01' })).id;
    org.other = (await f.organization({ kind: 'DISEASE_SUPPORT_CENTER' })).id;
    const partners = [
      (await f.organization({ kind: 'DISEASE_SUPPORT_CENTER' })).id,
      (await f.organization({ kind: 'VOCATIONAL_CENTER' })).id,
    ];
    for (const [name, o, roles] of [
      ['hwAnalyst', 'hw', ['ANALYST']],
      ['hwCoordinator', 'hw', ['COORDINATOR']],
      ['hwSupporter', 'hw', ['SUPPORTER']],
      ['hwAdmin', 'hw', ['ORG_ADMIN']],
      ['otherAnalyst', 'other', ['ANALYST']],
    ] as const) {
      t[name] = (await api.tokens.issue((await f.member(org[o]!, [...roles])).id)).token;
    }
    await seedDesignatedDiseases(api.db.owner, await diseaseList());
    // Everyone who must never appear lives in 沖縄; no consenting client lives in 九州・沖縄.
    const states = ['NEVER', 'WITHDRAWN', 'EXPIRED', 'MISSING_CATEGORY'] as const;
    clients = await seedReportingCohort(api.db.owner, {
      orgId: org.hw,
      partnerOrgIds: partners,
      size: 500,
      seed: 6,
      // Two years of intakes: at its coarsest the export still splits the cohort by fiscal year.
      intakeYears: 2,
      consent: (i) => (i % 10 < states.length ? states[i % 10]! : 'ACTIVE'),
      prefecture: (consent, p) => (consent !== 'ACTIVE' ? '47' : Number(p) >= 40 ? '13' : p),
    });
    // Another organization's consenting clients, in 沖縄 too: never in this organization's exports.
    await seedReportingCohort(api.db.owner, {
      orgId: org.other,
      partnerOrgIds: [org.hw],
      size: 60,
      seed: 7,
      prefecture: () => '47',
    });
    const { rows } = await api.db.owner.query(`SELECT id::text FROM clients UNION SELECT id::text FROM cases`);
    ids = new Set(rows.map((r: { id: string }) => r.id));
    worker = await startWorker(api);
  }, 90_000);
  afterAll(async () => {
    await worker?.kill();
    await api?.close();
  });

  it('refuses COORDINATOR, SUPPORTER and ORG_ADMIN alike: no request, no read (FORBIDDEN)', async () => {
    for (const who of ['hwCoordinator', 'hwSupporter', 'hwAdmin']) {
      expect(codes(await run(who, REQUEST, {}))).toEqual(['FORBIDDEN']);
      expect(codes(await run(who, EXPORT, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['FORBIDDEN']);
    }
  });

  it('checks the request: k from 3 to 50, a period of past dates in order', async () => {
    const bad = async (input: Data) => (await run('hwAnalyst', REQUEST, { input })).errors?.[0]?.extensions;
    expect(await bad({ k: 2 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'k' });
    expect(await bad({ k: 51 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'k' });
    expect(await bad({ from: '2026-04-01', to: '2025-04-01' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await bad({ to: '2099-01-01' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });

  it('makes an export of exactly the clients whose ACTIVE grant covers STATISTICS, from one snapshot', async () => {
    // One more withdrawal, through the API, before the export: it leaves at once.
    const leaving = clients.find((c) => c.consent === 'ACTIVE')!;
    await ok('hwCoordinator', WITHDRAW, { id: leaving.consentId });
    leaving.consent = 'WITHDRAWN';

    const requested = (await ok('hwAnalyst', REQUEST, {})).requestAnonymizedExport;
    expect(requested).toMatchObject({ status: 'QUEUED', k: 5, l: 2, from: null, to: null });
    // One export at a time per organization.
    expect(codes(await run('hwAnalyst', REQUEST, {}))).toEqual(['CONFLICT']);
    const e = await finished(requested.id);
    done.push(e);
    expect(e).toMatchObject({ status: 'SUCCEEDED', cohortCount: activeCount(), expired: false, error: null });
    expect(e.columns).toEqual(COLUMNS);
    expect(e.rowCount + e.suppressedCount).toBe(e.cohortCount);
    expect(e.suppressedCount).toBeLessThanOrEqual(Math.floor(e.cohortCount * 0.05));
    expect(e.shortfall).toBeNull();
    expect(Date.parse(e.expiresAt) - Date.parse(e.finishedAt)).toBe(72 * 3600_000);
    expect(Date.parse(e.snapshotAt)).toBeLessThanOrEqual(Date.parse(e.finishedAt));

    const rows = await csvRows(e.id);
    expect(rows).toHaveLength(e.rowCount);
    // Nobody who must not appear: the region they alone live in is never published.
    expect(rows.filter((r) => r.area === '沖縄県' || r.area === OKINAWA_REGION)).toEqual([]);
    expect(new Set(rows.map((r) => r.outcome)).size).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(OUTCOMES.has(r.outcome!)).toBe(true);
    // The requester is told.
    const n = await api.db.owner.query(`SELECT kind FROM notifications WHERE subject_id = $1`, [e.id]);
    expect(n.rows).toEqual([{ kind: 'REPORT_EXPORT_READY' }]);
  });

  it('every export passes the independent checker, and no token or cell equals any id of the database', async () => {
    if (done.length === 0) await requestAndWait();
    const all = await databaseIds(api.db.owner);
    for (const id of ids) all.add(id);
    expect(all.size).toBeGreaterThan(2000);
    for (const e of done) {
      const rows = await csvRows(e.id);
      expect(
        exportProblems(rows, e.k, e.l, { age: { column: 'age', topCode: '85歳以上' }, forbiddenValues: all }),
      ).toEqual([]);
      for (const r of rows) expect(r.token).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('publishes aggregate tables with no count from 1 to 9 and nothing derivable from the totals', async () => {
    const e = done[0] ?? (await requestAndWait());
    const tables = (await ok('hwAnalyst', AGGREGATES, { id: e.id })).reportExport.aggregates as Data[];
    const counts = tables.filter((x) => x.kind === 'COUNT');
    expect(counts.map((x) => x.name)).toEqual(
      expect.arrayContaining([
        'newClients.fiscalYear.region',
        'newClients.fiscalYear.certificate',
        'newClients.fiscalYear.organizationKind',
        'placements.fiscalYear.retention12',
        'referrals.route.result',
      ]),
    );
    expect(checkTableDisclosure(counts as never, 10)).toEqual([]);
    const region = counts.find((x) => x.name === 'newClients.fiscalYear.region')!;
    // The grand total is the cohort (whenever it is published), and 九州・沖縄 is not a column at all.
    const grand = region.cells.at(-1).at(-1);
    if (grand !== null) expect(grand).toBe(e.cohortCount);
    expect(region.columns).not.toContain(OKINAWA_REGION);
    expect(counts.find((x) => x.name === 'newClients.fiscalYear.certificate')!.columns).toContain(
      '手帳なし・指定難病あり',
    );
    for (const x of tables.filter((x) => x.kind === 'RATE')) {
      for (const v of x.cells.flat()) if (v !== null) expect(v).toBeGreaterThanOrEqual(0);
    }
    const routes = tables.find((x) => x.name === 'referrals.route.result')!;
    expect(routes.rows.slice(0, -1)).toEqual(
      expect.arrayContaining(['ハローワーク → 難病相談支援センター', 'ハローワーク → 地域障害者職業センター']),
    );
  });

  it('publishes at the coarsest node, and says why, when k cannot be met within 5% (k = 50)', async () => {
    const e = await requestAndWait({ k: 50 });
    expect(e.k).toBe(50);
    expect(e.suppressedCount).toBeGreaterThan(Math.floor(e.cohortCount * 0.05));
    expect(e.shortfall).toMatch(/上限の \d+ 行（5%）を超えます/);
    expect(e.generalization.every((g: Data) => g.levelName !== '各歳')).toBe(true);
    const rows = await csvRows(e.id);
    expect(rows).toHaveLength(e.rowCount);
    expect(exportProblems(rows, 50, 2)).toEqual([]);
  });

  it('takes its snapshot first: a withdrawal committed while the export runs is in this export, not the next', async () => {
    const before = done[0]?.cohortCount ?? (await requestAndWait()).cohortCount;
    const leaving = clients.find((c) => c.consent === 'ACTIVE')!;
    // Hold the export's run lock, so the job takes its snapshot and then waits.
    const holder = await api.db.owner.connect();
    try {
      const requested = (await ok('hwAnalyst', REQUEST, {})).requestAnonymizedExport;
      await holder.query(`SELECT pg_advisory_lock(hashtextextended('report-export:' || $1, 0))`, [requested.id]);
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // The job is waiting for the lock the test holds: its snapshot is taken.
      await eventually(async () => {
        const { rows } = await api.db.owner.query(
          `SELECT 1 FROM pg_locks w JOIN pg_locks h ON h.locktype = 'advisory' AND h.granted AND h.pid = $1
             AND (h.classid, h.objid, h.objsubid) = (w.classid, w.objid, w.objsubid)
            WHERE w.locktype = 'advisory' AND NOT w.granted`,
          [holderPid],
        );
        return rows.length > 0;
      });
      await ok('hwCoordinator', WITHDRAW, { id: leaving.consentId });
      leaving.consent = 'WITHDRAWN';
      await holder.query(`SELECT pg_advisory_unlock(hashtextextended('report-export:' || $1, 0))`, [requested.id]);
      const e = await finished(requested.id);
      done.push(e);
      expect(e.cohortCount).toBe(before);
      const { rows } = await api.db.owner.query(`SELECT withdrawn_at FROM consent_grants WHERE id = $1`, [
        leaving.consentId,
      ]);
      expect(Date.parse(e.snapshotAt)).toBeLessThan((rows[0].withdrawn_at as Date).getTime());
    } finally {
      holder.release();
    }
    expect((await requestAndWait()).cohortCount).toBe(before - 1);
    expect(before - 1).toBe(activeCount());
  });

  it('shows an export to its organization’s analysts only: NOT_FOUND elsewhere, by GraphQL and HTTP', async () => {
    const e = done[0] ?? (await requestAndWait());
    for (const id of [e.id, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      expect(codes(await run('otherAnalyst', EXPORT, { id }))).toEqual(['NOT_FOUND']);
    }
    expect(codes(await run('hwAnalyst', EXPORT, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual([
      'NOT_FOUND',
    ]);
    expect((await httpCsv(e.id, 'otherAnalyst')).status).toBe(404);
    expect((await httpCsv('00000000-0000-4000-8000-000000000000', 'hwAnalyst')).status).toBe(404);
    expect((await httpCsv('nope', 'hwAnalyst')).status).toBe(404);
  });

  it('serves the same CSV at GET /exports/:id.csv with the GraphQL endpoint’s authentication', async () => {
    const e = done[0] ?? (await requestAndWait());
    expect((await httpCsv(e.id)).status).toBe(401);
    expect((await httpCsv(e.id, undefined, { authorization: 'Bearer nonsense' })).status).toBe(401);
    expect((await httpCsv(e.id, 'hwCoordinator')).status).toBe(403);
    expect((await httpCsv(e.id, 'hwAnalyst', { 'x-organization-id': org.other! })).status).toBe(403);
    const res = await httpCsv(e.id, 'hwAnalyst');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toBe((await ok('hwAnalyst', CSV, { id: e.id })).reportExport.csv);
    expect(body.split('\r\n')[0]).toBe(COLUMNS.join(','));
  });

  it('serves the same rows as JSON at GET /exports/:id.json, with the same authentication and audit', async () => {
    const e = done[0] ?? (await requestAndWait());
    const json = (who?: string) =>
      fetch(`${api.url}/exports/${e.id}.json`, {
        headers: who
          ? { authorization: `Bearer ${t[who]}`, 'x-organization-id': org[who.replace(/[A-Z].*$/, '')]! }
          : {},
      });
    expect((await json()).status).toBe(401);
    expect((await json('hwCoordinator')).status).toBe(403);
    expect((await json('otherAnalyst')).status).toBe(404);
    const before = await auditCount('reportExport.downloaded', e.id);
    const res = await json('hwAnalyst');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as { columns: string[]; rows: Record<string, string>[] };
    expect(body.columns).toEqual(COLUMNS);
    expect(body.rows).toEqual(await csvRows(e.id));
    expect(body.rows.length).toBe(e.rowCount);
    expect(body.rows.every((r) => Object.keys(r).join() === COLUMNS.join())).toBe(true);
    expect(await auditCount('reportExport.downloaded', e.id)).toBe(before + 2); // the JSON, and the csv field read above
  });

  it('records every download in the audit log: the csv field, the HTTP GET and the aggregate tables', async () => {
    const e = done[0] ?? (await requestAndWait());
    const before = await auditCount('reportExport.downloaded', e.id);
    await ok('hwAnalyst', CSV, { id: e.id });
    expect(await auditCount('reportExport.downloaded', e.id)).toBe(before + 1);
    await (await httpCsv(e.id, 'hwAnalyst')).text();
    expect(await auditCount('reportExport.downloaded', e.id)).toBe(before + 2);
    await ok('hwAnalyst', AGGREGATES, { id: e.id });
    expect(await auditCount('reportExport.downloaded', e.id)).toBe(before + 3);
    // A refused download is no download.
    await httpCsv(e.id, 'otherAnalyst');
    expect(await auditCount('reportExport.downloaded', e.id)).toBe(before + 3);
    expect(await auditCount('reportExport.requested', e.id)).toBe(1);
    expect(await auditCount('reportExport.generated', e.id)).toBe(1);
  });

  it('expires: the CSV is null and 410 Gone, then the purge deletes the rows and the tables', async () => {
    const e = done[0] ?? (await requestAndWait());
    const { rows: reminders } = await api.db.owner.query(
      `SELECT due_at FROM reminders WHERE kind = 'EXPORT_EXPIRED' AND subject_id = $1`,
      [e.id],
    );
    expect((reminders[0].due_at as Date).getTime() - Date.parse(e.expiresAt)).toBe(3600_000);
    // As the clock would: the expiry passes (behind the state machine's trigger).
    const c = await api.db.owner.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SET LOCAL session_replication_role = replica`);
      await c.query(`UPDATE report_exports SET expires_at = now() - interval '1 second' WHERE id = $1`, [e.id]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const after = await ok('hwAnalyst', `${CSV.replace('csv }', 'csv expired aggregates { name } }')}`, { id: e.id });
    expect(after.reportExport).toMatchObject({ csv: null, expired: true, aggregates: null });
    expect((await httpCsv(e.id, 'hwAnalyst')).status).toBe(410);

    await api.db.owner.query(`UPDATE reminders SET due_at = now() WHERE kind = 'EXPORT_EXPIRED' AND subject_id = $1`, [
      e.id,
    ]);
    await eventually(async () => {
      const { rows } = await api.db.owner.query(`SELECT purged_at, aggregates FROM report_exports WHERE id = $1`, [
        e.id,
      ]);
      return rows[0].purged_at !== null && rows[0].aggregates === null;
    });
    const left = await api.db.owner.query(`SELECT count(*)::int AS n FROM report_export_rows WHERE export_id = $1`, [
      e.id,
    ]);
    expect(left.rows[0].n).toBe(0);
    // The record of the export stays.
    expect(await exportOf('hwAnalyst', e.id)).toMatchObject({ status: 'SUCCEEDED', rowCount: e.rowCount });
  });
});
