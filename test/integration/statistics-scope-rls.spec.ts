import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { STATISTICS_CATEGORIES } from '@tasuki/domain';
import { appRoleDatabase, type AppRoleDatabase } from '../harness/app-role.js';
import { factories } from '../harness/factories.js';

const ALL = ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT', 'NOTES'];

/**
 * The statistics functions the export job reads its cohort through (migration 1764600000000), as the application
 * role: a MUNICIPALITY gets its own consenting clients and those of other organizations whose ACTIVE grant covers
 * STATISTICS (with every category the export reads) and names it; nobody else gets anything beyond its own; only the
 * worker's setting (`app.system`) gets anything; and the other organization's base rows stay unreadable.
 */
describe('statistics_cases / statistics_placements / statistics_referrals under row-level security', () => {
  let probe: AppRoleDatabase;
  const org: Record<string, string> = {};
  const caseOf: Record<string, string> = {};

  /** A client of `owner` with its case, one grant, a placement and a sent referral; returns the case id. */
  async function subject(
    owner: string,
    name: string,
    grant: Partial<{ recipients: string[]; purposes: string[]; categories: string[]; state: string }>,
  ) {
    const db = probe.db.owner;
    const { rows } = await db.query<{ client: string; case_id: string; grant_id: string }>(
      `WITH c AS (INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code,
                    designated_disease_numbers, disability_certificate)
                  VALUES (gen_random_uuid(), $1, $2, '太郎', '1980-05-01', '13', '{1}', 'MENTAL') RETURNING id),
            k AS (INSERT INTO cases (org_id, client_id, opened_at) SELECT $1, id, now() - interval '400 days' FROM c
                  RETURNING id, client_id),
            g AS (INSERT INTO consent_grants (org_id, client_id, recipient_org_ids, purposes, categories, method,
                    granted_at, expires_at, withdrawn_at, withdrawal_reason)
                  SELECT $1, id, $3::uuid[], $4::text[], $5::text[], 'WRITTEN', now() - interval '300 days',
                         CASE WHEN $6 = 'EXPIRED' THEN now() - interval '1 day' END,
                         CASE WHEN $6 = 'WITHDRAWN' THEN now() - interval '1 day' END,
                         CASE WHEN $6 = 'WITHDRAWN' THEN '本人の申し出' END FROM c RETURNING id)
       SELECT k.client_id AS client, k.id AS case_id, g.id AS grant_id FROM k, g`,
      [
        owner,
        name,
        grant.recipients ?? [org.muni],
        grant.purposes ?? ['STATISTICS', 'REFERRAL'],
        grant.categories ?? ALL,
        grant.state ?? 'ACTIVE',
      ],
    );
    const s = rows[0]!;
    await db.query(
      `INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route, weekly_hours_band)
       VALUES ($1, $2, $3, '株式会社テスト', current_date - 200, 'DISABILITY_VACANCY', 'FROM_20_UNDER_30')`,
      [owner, s.case_id, s.client],
    );
    await db.query(
      `INSERT INTO referrals (org_id, to_org_id, client_id, from_case_id, consent_id, reason, shared_categories, status,
         sent_at, responded_at, received_at)
       VALUES ($1, $2, $3, $4, $5, 'ASSESSMENT', '{IDENTITY}', 'ACCEPTED', now() - interval '390 days',
               now() - interval '385 days', now() - interval '385 days')`,
      [owner, org.partner, s.client, s.case_id, s.grant_id],
    );
    caseOf[name] = s.case_id;
    return s.case_id;
  }

  /** As the worker acting for an organization (`app.system`), or as a signed-in user's request (`system` false). */
  const asWorker = <T>(orgId: string, work: (c: pg.PoolClient) => Promise<T>, system = true) =>
    probe.as(orgId, async (c) => {
      if (system) await c.query(`SELECT set_config('app.system', 'on', true)`);
      return work(c);
    });
  const casesFor = (orgId: string, system = true) =>
    asWorker(
      orgId,
      async (c) =>
        (await c.query('SELECT case_id, via_consent, org_kind FROM statistics_cases() ORDER BY case_id')).rows as {
          case_id: string;
          via_consent: boolean;
          org_kind: string;
        }[],
      system,
    );
  const ids = (rows: { case_id: string }[]) => rows.map((r) => r.case_id).sort();
  const named = (...names: string[]) => names.map((n) => caseOf[n]!).sort();

  beforeAll(async () => {
    probe = await appRoleDatabase();
    const f = factories(probe.db.owner);
    org.muni = (await f.organization({ kind: 'MUNICIPALITY' })).id;
    org.muni2 = (await f.organization({ kind: 'MUNICIPALITY' })).id;
    org.hw = (await f.organization({ kind: 'HELLO_WORK' })).id;
    org.npo = (await f.organization({ kind: 'NPO' })).id;
    org.partner = (await f.organization({ kind: 'VOCATIONAL_CENTER' })).id;
    await subject(org.muni, 'muniOwn', { recipients: [org.partner] });
    await subject(org.hw, 'named', {});
    await subject(org.npo, 'namedAmongOthers', { recipients: [org.partner, org.muni] });
    await subject(org.hw, 'namesMuni2', { recipients: [org.muni2] });
    await subject(org.hw, 'noStatistics', { purposes: ['REFERRAL', 'INFO_SHARING'] });
    await subject(org.hw, 'withdrawn', { state: 'WITHDRAWN' });
    await subject(org.hw, 'expired', { state: 'EXPIRED' });
    for (const missing of STATISTICS_CATEGORIES) {
      await subject(org.hw, `without${missing}`, { categories: ALL.filter((c) => c !== missing) });
    }
    // A HELLO_WORK named by a STATISTICS grant gets nothing of it: only a MUNICIPALITY's scope reaches that far.
    await subject(org.npo, 'namesHw', { recipients: [org.hw] });
    // The municipality's own case and own grant for a client it does not own (known through a referral): the client
    // is its owner's subject, never the municipality's own.
    const { rows } = await probe.db.owner.query(
      `WITH k AS (INSERT INTO cases (org_id, client_id) SELECT $1, client_id FROM cases WHERE id = $2
                  RETURNING id, client_id),
            g AS (INSERT INTO consent_grants (org_id, client_id, recipient_org_ids, purposes, categories, method)
                  SELECT $1, client_id, ARRAY[$1::uuid], '{STATISTICS}', $3::text[], 'WRITTEN' FROM k)
       SELECT id FROM k`,
      [org.muni, caseOf.withdrawn, ALL],
    );
    caseOf.referredToMuni = rows[0].id;
  });
  afterAll(() => probe.drop());

  it('gives a MUNICIPALITY its own cohort and the clients whose ACTIVE STATISTICS grant names it', async () => {
    const rows = await casesFor(org.muni);
    expect(ids(rows)).toEqual(named('muniOwn', 'named', 'namedAmongOthers'));
    expect(ids(rows)).not.toContain(caseOf.referredToMuni);
    expect(rows.find((r) => r.case_id === caseOf.muniOwn)).toMatchObject({
      via_consent: false,
      org_kind: 'MUNICIPALITY',
    });
    expect(rows.find((r) => r.case_id === caseOf.named)).toMatchObject({ via_consent: true, org_kind: 'HELLO_WORK' });
    expect(ids(await casesFor(org.muni2))).toEqual(named('namesMuni2'));
  });

  it('returns only the fields an export reads, and the facts of the cohort’s cases only', async () => {
    const [cases, placements, referrals] = await asWorker(org.muni, async (c) => [
      (await c.query('SELECT * FROM statistics_cases() LIMIT 1')).rows,
      (await c.query('SELECT * FROM statistics_placements()')).rows,
      (await c.query('SELECT * FROM statistics_referrals()')).rows,
    ]);
    expect(Object.keys(cases[0]!).sort()).toEqual([
      'birth_date',
      'case_id',
      'designated_disease_numbers',
      'disability_certificate',
      'opened_at',
      'org_kind',
      'prefecture_code',
      'status',
      'via_consent',
    ]);
    const classes = ['case_id', 'disability_certificate', 'has_disease', 'org_kind', 'prefecture_code'];
    expect(Object.keys(placements[0]!).sort()).toEqual([...classes, 'separated_on', 'start_date'].sort());
    expect(Object.keys(referrals[0]!).sort()).toEqual(
      [...classes, 'responded_at', 'sent_at', 'status', 'to_kind'].sort(),
    );
    const cohort = named('muniOwn', 'named', 'namedAmongOthers');
    expect(placements.map((r) => r.case_id).sort()).toEqual(cohort);
    expect(referrals.map((r) => r.case_id).sort()).toEqual(cohort);
    expect(referrals[0]).toMatchObject({ to_kind: 'VOCATIONAL_CENTER', status: 'ACCEPTED' });
  });

  it('gives any other kind of organization its own clients only, even when a STATISTICS grant names it', async () => {
    // Its own clients by the same rule (the recipients do not matter for its own): active, STATISTICS, every category.
    const hw = await casesFor(org.hw);
    expect(ids(hw)).toEqual(named('named', 'namesMuni2'));
    expect(hw.every((r) => !r.via_consent && r.org_kind === 'HELLO_WORK')).toBe(true);
    expect(ids(hw)).not.toContain(caseOf.namesHw);
    expect(ids(await casesFor(org.npo))).toEqual(named('namedAmongOthers', 'namesHw'));
    expect(await casesFor(org.partner)).toEqual([]);
  });

  it('answers only the worker acting for an organization: not a signed-in request, not without an organization', async () => {
    expect(await casesFor(org.muni, false)).toEqual([]);
    for (const f of ['statistics_cases', 'statistics_placements', 'statistics_referrals']) {
      const rows = await probe.as(null, async (c) => {
        await c.query(`SELECT set_config('app.system', 'on', true)`);
        return (await c.query(`SELECT * FROM ${f}()`)).rows;
      });
      expect(rows).toEqual([]);
    }
  });

  it('leaves the other organization’s base rows unreadable to the application role, and the inner function too', async () => {
    const counts = await asWorker(org.muni, async (c) => {
      const n = async (sql: string) => (await c.query(sql, [org.hw])).rows[0].n as number;
      return [
        await n('SELECT count(*)::int AS n FROM clients WHERE org_id = $1'),
        await n('SELECT count(*)::int AS n FROM cases WHERE org_id = $1'),
        await n('SELECT count(*)::int AS n FROM placements WHERE org_id = $1'),
        await n('SELECT count(*)::int AS n FROM referrals WHERE org_id = $1'),
        await n('SELECT count(*)::int AS n FROM consent_grants WHERE org_id = $1'),
        await n('SELECT count(*)::int AS n FROM client_profiles WHERE org_id = $1'),
      ];
    });
    expect(counts).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await probe.sqlError(org.muni, 'SELECT family_name FROM clients')).toBe('42501');
    expect(await probe.sqlError(org.muni, 'SELECT * FROM statistics_cohort_cases()')).toBe('42501');
    const { rows } = await probe.db.owner.query(
      `SELECT proname, prosecdef, proconfig, has_function_privilege('tasuki_app', oid, 'EXECUTE') AS app
         FROM pg_proc WHERE proname LIKE 'statistics\\_%' ORDER BY proname`,
    );
    expect(rows).toEqual([
      { proname: 'statistics_cases', prosecdef: true, proconfig: ['search_path=pg_catalog, public'], app: true },
      { proname: 'statistics_cohort_cases', prosecdef: false, proconfig: null, app: false },
      { proname: 'statistics_placements', prosecdef: true, proconfig: ['search_path=pg_catalog, public'], app: true },
      { proname: 'statistics_referrals', prosecdef: true, proconfig: ['search_path=pg_catalog, public'], app: true },
    ]);
  });
});
