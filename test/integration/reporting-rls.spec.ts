import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appRoleDatabase, type AppRoleDatabase } from '../harness/app-role.js';
import { factories } from '../harness/factories.js';

/**
 * The reporting tables and the statistics view under row-level security, as the application role: an export and
 * its rows belong to the requesting organization; rows are written only while the export runs and deleted only once
 * it has expired; the database keeps the export's state machine; the view shows an organization only its own clients
 * and only what an export reads.
 */
describe('report_exports, report_export_rows and statistics_subjects under row-level security', () => {
  let probe: AppRoleDatabase;
  let org: string;
  let other: string;
  let analyst: string;
  let running: string;
  let finished: string;
  let expired: string;

  const asUser = <T>(orgId: string, userId: string, sql: string, params: unknown[] = []) =>
    probe.as(orgId, async (c) => {
      await c.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
      return (await c.query(sql, params)).rows as T[];
    });
  const exportRow = async (status: string, expiresIn?: string) => {
    const { rows } = await probe.db.owner.query<{ id: string }>(
      `INSERT INTO report_exports (org_id, requested_by, status, k, l, finished_at, expires_at)
       VALUES ($1, $2, 'QUEUED', 5, 2, NULL, NULL) RETURNING id`,
      [org, analyst],
    );
    const id = rows[0]!.id;
    if (status !== 'QUEUED')
      await probe.db.owner.query(`UPDATE report_exports SET status = 'RUNNING' WHERE id = $1`, [id]);
    if (status === 'SUCCEEDED') {
      await probe.db.owner.query(
        `UPDATE report_exports SET status = 'SUCCEEDED', finished_at = now(), expires_at = now() + $2::interval
          WHERE id = $1`,
        [id, expiresIn ?? '72 hours'],
      );
    }
    return id;
  };

  beforeAll(async () => {
    probe = await appRoleDatabase();
    const f = factories(probe.db.owner);
    org = (await f.organization()).id;
    other = (await f.organization()).id;
    analyst = (await f.member(org, ['ANALYST'])).id;
    finished = await exportRow('SUCCEEDED');
    expired = await exportRow('SUCCEEDED', '-1 hour');
    for (const id of [finished, expired]) {
      await probe.db.owner.query(
        `INSERT INTO report_export_rows (export_id, org_id, seq, cells) VALUES ($1, $2, 1, $3)`,
        [id, org, ['t', '35〜64歳']],
      );
    }
    // The pending one last: an organization has one pending export at a time.
    running = await exportRow('RUNNING');
    await probe.db.owner.query(
      `INSERT INTO report_export_rows (export_id, org_id, seq, cells) VALUES ($1, $2, 1, $3)`,
      [running, org, ['t', '35〜64歳']],
    );
    await probe.db.owner.query(
      `INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code) VALUES
         (gen_random_uuid(), $1, '自', '機関', '1980-01-01', '13'), (gen_random_uuid(), $2, '他', '機関', '1970-01-01', '27')`,
      [org, other],
    );
  });
  afterAll(() => probe.drop());

  it('keeps exports and their rows to the requesting organization', async () => {
    expect(await asUser(other, analyst, 'SELECT id FROM report_exports')).toEqual([]);
    expect(await asUser(other, analyst, 'SELECT seq FROM report_export_rows')).toEqual([]);
    expect(await asUser(org, analyst, 'SELECT id FROM report_exports')).toHaveLength(3);
    expect(await probe.as(null, async (c) => (await c.query('SELECT id FROM report_exports')).rows)).toEqual([]);
    const updated = await probe.as(
      other,
      async (c) =>
        (
          await c.query(
            `WITH u AS (UPDATE report_exports SET error = 'x' RETURNING 1) SELECT count(*)::int AS n FROM u`,
          )
        ).rows[0].n,
    );
    expect(updated).toBe(0);
  });

  it('lets an organization request for itself, as the signed-in user, and never delete an export', async () => {
    const insert = `INSERT INTO report_exports (org_id, requested_by, k, l) VALUES ($1, $2, 5, 2)`;
    const tryInsert = (orgId: string, as: string, values: unknown[]) =>
      probe.as(orgId, async (c) => {
        await c.query(`SELECT set_config('app.user_id', $1, true)`, [as]);
        try {
          await c.query(insert, values);
          return null;
        } catch (err) {
          return (err as { code?: string }).code;
        }
      });
    // One pending export per organization (the running one): a second is refused by the index.
    expect(await tryInsert(org, analyst, [org, analyst])).toBe('23505');
    expect(await tryInsert(other, analyst, [org, analyst])).toBe('42501');
    const someoneElse = (await factories(probe.db.owner).member(other, ['ANALYST'])).id;
    expect(await tryInsert(other, analyst, [other, someoneElse])).toBe('42501');
    expect(await probe.sqlError(org, 'DELETE FROM report_exports')).toBe('42501');
  });

  it('keeps the state machine and what was requested: no way back, no rewrite of a finished export', async () => {
    expect(await probe.sqlError(org, `UPDATE report_exports SET status = 'QUEUED' WHERE id = $1`, [running])).toBe(
      '23514',
    );
    expect(await probe.sqlError(org, `UPDATE report_exports SET k = 3 WHERE id = $1`, [running])).toBe('42501');
    expect(await probe.sqlError(org, `UPDATE report_exports SET row_count = 1 WHERE id = $1`, [finished])).toBe(
      '23514',
    );
    expect(
      await probe.sqlError(org, `UPDATE report_exports SET status = 'FAILED', error = 'x' WHERE id = $1`, [finished]),
    ).toBe('23514');
    // The purge is the one change a finished export takes.
    expect(
      await probe.sqlError(org, `UPDATE report_exports SET purged_at = now(), aggregates = NULL WHERE id = $1`, [
        expired,
      ]),
    ).toBeNull();
  });

  it('takes rows only while the export runs, and deletes them only once it has expired', async () => {
    const row = `INSERT INTO report_export_rows (export_id, org_id, seq, cells) VALUES ($1, $2, 2, '{a}')`;
    expect(await probe.sqlError(org, row, [running, org])).toBeNull();
    expect(await probe.sqlError(org, row, [finished, org])).toBe('42501');
    expect(await probe.sqlError(other, row, [running, org])).toBe('42501');
    expect(await probe.sqlError(org, `UPDATE report_export_rows SET cells = '{b}'`)).toBe('42501');
    const deleted = (exportId: string) =>
      probe.as(
        org,
        async (c) =>
          (
            await c.query(
              `WITH d AS (DELETE FROM report_export_rows WHERE export_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d`,
              [exportId],
            )
          ).rows[0].n,
      );
    expect(await deleted(running)).toBe(0);
    expect(await deleted(finished)).toBe(0);
    expect(await deleted(expired)).toBe(1);
  });

  it('shows an organization its own clients in statistics_subjects, and only the fields an export reads', async () => {
    const rows = await asUser<Record<string, unknown>>(org, analyst, 'SELECT * FROM statistics_subjects');
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!).sort()).toEqual([
      'birth_date',
      'designated_disease_numbers',
      'disability_certificate',
      'id',
      'org_id',
      'prefecture_code',
    ]);
    expect(rows[0]).toMatchObject({ org_id: org, prefecture_code: '13' });
    expect(await probe.as(null, async (c) => (await c.query('SELECT id FROM statistics_subjects')).rows)).toEqual([]);
    expect(await probe.sqlError(org, 'SELECT family_name FROM clients')).toBe('42501');
  });
});
