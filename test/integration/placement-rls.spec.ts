import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appRoleDatabase, type AppRoleDatabase } from '../harness/app-role.js';
import type { TestDatabase } from '../harness/test-database.js';
import { factories } from '../harness/factories.js';

/**
 * Placements and follow-ups under the second wall, without the service: raw SQL as the application role. Another
 * organization sees and changes nothing; the owner organization changes only the columns that record a
 * separation or a follow-up, and the database keeps the follow-up's status machine and the one-placement rule.
 */
describe('placements and follow-ups under row-level security, as the application role', () => {
  let db: TestDatabase;
  let app: AppRoleDatabase;
  let owner: string;
  let stranger: string;
  let caseId: string;
  let clientId: string;
  let placementId: string;
  const followUp: Record<string, string> = {};

  const rowCount = (orgId: string, sql: string, params: unknown[] = []) =>
    app.as(orgId, async (c) => (await c.query(sql, params)).rowCount);

  beforeAll(async () => {
    app = await appRoleDatabase();
    db = app.db;
    const f = factories(db.owner);
    owner = (await f.organization({ kind: 'HELLO_WORK' })).id;
    stranger = (await f.organization({ kind: 'NPO' })).id;
    const q = async (sql: string, params: unknown[]) => (await db.owner.query(sql, params)).rows;
    [{ id: clientId }] = await q(
      `INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
       VALUES (gen_random_uuid(), $1, '高橋', '二郎', '1980-01-01', '13') RETURNING id`,
      [owner],
    );
    [{ id: caseId }] = await q(`INSERT INTO cases (org_id, client_id) VALUES ($1, $2) RETURNING id`, [owner, clientId]);
    [{ id: placementId }] = await q(
      `INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route, weekly_hours_band)
       VALUES ($1, $2, $3, '株式会社ひみつ', '2025-04-01', 'GENERAL_CLOSED', 'FROM_30') RETURNING id`,
      [owner, caseId, clientId],
    );
    const rows = await q(
      `INSERT INTO follow_ups (org_id, case_id, placement_id, milestone, due_on)
       SELECT $1, $2, $3, m, '2025-05-01' FROM unnest('{W2,M1,M3}'::text[]) m RETURNING id, milestone`,
      [owner, caseId, placementId],
    );
    for (const r of rows) followUp[r.milestone] = r.id;
  });
  afterAll(async () => {
    await app.drop();
  });

  it('shows another organization, and a transaction without one, no placement and no follow-up', async () => {
    for (const table of ['placements', 'follow_ups']) {
      expect(await app.as(owner, async (c) => (await c.query(`SELECT id FROM ${table}`)).rows.length)).toBeGreaterThan(
        0,
      );
      expect(await app.as(stranger, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows)).toEqual([]);
      expect(await app.as(null, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows)).toEqual([]);
    }
  });

  it('lets another organization update nothing, even in the columns the application may write', async () => {
    expect(
      await rowCount(
        stranger,
        `UPDATE placements SET separated_on = '2025-05-01', separation_reason = 'x',
        separation_recorded_at = now() WHERE id = $1`,
        [placementId],
      ),
    ).toBe(0);
    expect(await rowCount(stranger, `UPDATE follow_ups SET status = 'CANCELLED', status_changed_at = now()`)).toBe(0);
    expect(
      await app.sqlError(
        stranger,
        `INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route, weekly_hours_band)
         VALUES ($1, $2, $3, 'x', '2025-04-01', 'GENERAL_OPEN', 'FROM_30')`,
        [owner, caseId, clientId],
      ),
    ).toBe('42501');
    expect(
      await app.sqlError(
        stranger,
        `INSERT INTO follow_ups (org_id, case_id, placement_id, milestone, due_on) VALUES ($1, $2, $3, 'M6', now())`,
        [owner, caseId, placementId],
      ),
    ).toBe('42501');
  });

  it('refuses the owner organization every column but the separation’s and the follow-up record’s, and deletes', async () => {
    for (const sql of [
      `UPDATE placements SET employer_name = '書き換え'`,
      `UPDATE placements SET start_date = '2025-01-01'`,
      `UPDATE placements SET org_id = org_id`,
      `UPDATE follow_ups SET due_on = '2030-01-01'`,
      `UPDATE follow_ups SET milestone = 'M12'`,
      `UPDATE follow_ups SET case_id = case_id`,
      `DELETE FROM placements`,
      `DELETE FROM follow_ups`,
      `TRUNCATE follow_ups`,
    ]) {
      expect({ sql, code: await app.sqlError(owner, sql) }).toEqual({ sql, code: '42501' });
    }
    expect(
      await rowCount(owner, `UPDATE follow_ups SET status = 'CANCELLED', status_changed_at = now() WHERE id = $1`, [
        followUp.W2,
      ]),
    ).toBe(1);
  });

  it('keeps the follow-up status machine in the database: nothing settled goes back to SCHEDULED', async () => {
    await db.owner.query(
      `UPDATE follow_ups SET status = 'DONE', done_at = now(), method = 'VISIT', status_changed_at = now()
        WHERE id = $1`,
      [followUp.M1],
    );
    await db.owner.query(`UPDATE follow_ups SET status = 'CANCELLED', status_changed_at = now() WHERE id = $1`, [
      followUp.M3,
    ]);
    for (const [sql, id] of [
      [
        `UPDATE follow_ups SET status = 'SCHEDULED', done_at = NULL, status_changed_at = NULL WHERE id = $1`,
        followUp.M1,
      ],
      [`UPDATE follow_ups SET status = 'MISSED' WHERE id = $1`, followUp.M1],
      [`UPDATE follow_ups SET note = 'あとから書き換え' WHERE id = $1`, followUp.M1],
      [`UPDATE follow_ups SET status = 'SCHEDULED', status_changed_at = NULL WHERE id = $1`, followUp.M3],
      [`UPDATE follow_ups SET status = 'DONE', done_at = now(), method = 'PHONE' WHERE id = $1`, followUp.M3],
    ] as const) {
      expect({ sql, code: await app.sqlError(owner, sql, [id]) }).toEqual({ sql, code: '23514' });
    }
  });

  it('records a separation once, and holds one placement in force per case', async () => {
    const insert = `INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route,
      weekly_hours_band) VALUES ($1, $2, $3, '二社目', '2025-06-01', 'GENERAL_OPEN', 'FROM_30')`;
    expect(await app.sqlError(owner, insert, [owner, caseId, clientId])).toBe('23505');
    await db.owner.query(
      `UPDATE placements SET separated_on = '2025-05-10', separation_reason = '退職', separation_recorded_at = now()
        WHERE id = $1`,
      [placementId],
    );
    expect(
      await app.sqlError(owner, `UPDATE placements SET separated_on = '2025-05-20' WHERE id = $1`, [placementId]),
    ).toBe('23514');
    // A placement names its organization's case and that case's client, together.
    expect(await app.sqlError(owner, insert.replace('$3', 'gen_random_uuid()'), [owner, caseId])).toBe('23503');
    expect(await app.sqlError(owner, insert, [owner, caseId, clientId])).toBeNull();
  });
});
