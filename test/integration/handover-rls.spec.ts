import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { TestDatabase } from '../harness/test-database.js';
import { appRoleDatabase, type AppRoleDatabase } from '../harness/app-role.js';
import { factories } from '../harness/factories.js';

/**
 * Handovers under row-level security, without the service: raw SQL as the application role. Handovers, the cases
 * they cover and their notes stay inside the organization; notes are append-only; the database refuses the
 * transitions and rewrites the product does not allow.
 */
describe('handovers under row-level security, as the application role', () => {
  let probe: AppRoleDatabase;
  let db: TestDatabase;
  let org: string;
  let stranger: string;
  let handoverId: string;
  let caseId: string;
  let userA: string;
  let userB: string;
  let userC: string;

  const as = <T>(orgId: string, work: (c: pg.PoolClient) => Promise<T>) => probe.as(orgId, work);
  const sqlError = (orgId: string, sql: string, params: unknown[] = []) => probe.sqlError(orgId, sql, params);

  beforeAll(async () => {
    probe = await appRoleDatabase();
    db = probe.db;
    const f = factories(db.owner);
    org = (await f.organization({ kind: 'HELLO_WORK' })).id;
    stranger = (await f.organization({ kind: 'NPO' })).id;
    userA = (await f.member(org, ['SUPPORTER'])).id;
    userB = (await f.member(org, ['SUPPORTER'])).id;
    userC = (await f.member(org, ['SUPPORTER'])).id;
    const q = async (sql: string, params: unknown[]) => (await db.owner.query(sql, params)).rows[0];
    const clientId = (
      await q(
        `INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
         VALUES (gen_random_uuid(), $1, '佐藤', '一郎', '1975-04-01', '13') RETURNING id`,
        [org],
      )
    ).id;
    caseId = (await q(`INSERT INTO cases (org_id, client_id) VALUES ($1, $2) RETURNING id`, [org, clientId])).id;
    handoverId = (
      await q(
        `INSERT INTO handovers (org_id, from_user_id, to_user_id, reason, effective_on, created_by)
         VALUES ($1, $2, $3, 'ROTATION', '2030-04-01', $2) RETURNING id`,
        [org, userA, userB],
      )
    ).id;
    await q(`INSERT INTO handover_cases (handover_id, case_id, org_id, position) VALUES ($1, $2, $3, 0)`, [
      handoverId,
      caseId,
      org,
    ]);
    await q(
      `INSERT INTO handover_notes (org_id, handover_id, case_id, version, situation, written_by)
       VALUES ($1, $2, $3, 1, '状況', $4)`,
      [org, handoverId, caseId, userA],
    );
  });
  afterAll(() => probe.drop());

  it('keeps handovers, their cases and notes to their organization', async () => {
    for (const table of ['handovers', 'handover_cases', 'handover_notes']) {
      expect(await as(org, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows)).toHaveLength(1);
      expect(await as(stranger, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows)).toEqual([]);
    }
    const changed = await as(stranger, async (c) => {
      const r = await c.query(`UPDATE handovers SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1`, [
        handoverId,
      ]);
      return r.rowCount;
    });
    expect(changed).toBe(0);
    expect(
      await sqlError(
        stranger,
        `INSERT INTO handover_notes (org_id, handover_id, case_id, version, situation, written_by)
         VALUES ($1, $2, $3, 2, 'x', $4)`,
        [org, handoverId, caseId, userA],
      ),
    ).toBe('42501');
  });

  it('keeps notes append-only and what a handover was started with unchangeable', async () => {
    for (const sql of [
      `UPDATE handover_notes SET situation = 'rewritten'`,
      `DELETE FROM handover_notes`,
      `DELETE FROM handovers`,
      `DELETE FROM handover_cases`,
      `UPDATE handovers SET from_user_id = to_user_id`,
      `UPDATE handovers SET effective_on = '2031-04-01'`,
      `UPDATE handover_cases SET case_id = case_id`,
    ]) {
      expect({ sql, code: await sqlError(org, sql) }).toEqual({ sql, code: '42501' });
    }
  });

  it('refuses, in the database itself, a transition the product does not allow', async () => {
    expect(await sqlError(org, `UPDATE handovers SET status = 'ACKNOWLEDGED', acknowledged_at = now()`)).toBe('23514');
    await db.owner.query(`UPDATE handovers SET status = 'SUBMITTED', submitted_at = now() WHERE id = $1`, [handoverId]);
    expect(await sqlError(org, `UPDATE handovers SET to_user_id = $1`, [userC])).toBe('23514');
    expect(await sqlError(org, `UPDATE handovers SET status = 'DRAFT'`)).toBe('23514');
    await db.owner.query(`UPDATE handovers SET moved_at = now() WHERE id = $1`, [handoverId]);
    expect(await sqlError(org, `UPDATE handovers SET moved_at = NULL`)).toBe('23514');
    expect(await sqlError(org, `UPDATE handovers SET status = 'CANCELLED', cancelled_at = now()`)).toBe('23514');
  });
});
