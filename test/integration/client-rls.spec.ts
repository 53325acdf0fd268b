import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appRoleDatabase, type AppRoleDatabase } from '../harness/app-role.js';
import type { TestDatabase } from '../harness/test-database.js';
import { factories } from '../harness/factories.js';

/**
 * The second wall for client data, without the service: raw SQL as the application role under each organization's
 * own setting. A recipient reads a client only through an accepted referral backed by an ACTIVE grant naming it,
 * and only the categories both shared and consented; nobody reads the clients table's personal columns directly.
 */
describe('client data under row-level security, as the application role', () => {
  let db: TestDatabase;
  let app: AppRoleDatabase;
  let owner: string;
  let recipient: string;
  let stranger: string;
  let clientId: string;
  let caseId: string;
  let grantId: string;
  let referralId: string;

  const profile = (orgId: string) =>
    app.as(
      orgId,
      async (c) => (await c.query('SELECT * FROM client_profiles WHERE id = $1', [clientId])).rows[0] ?? null,
    );
  const visibleIds = (orgId: string) =>
    app.as(orgId, async (c) => (await c.query('SELECT id FROM clients WHERE id = $1', [clientId])).rows.length);

  beforeAll(async () => {
    app = await appRoleDatabase();
    db = app.db;
    const f = factories(db.owner);
    owner = (await f.organization({ kind: 'HELLO_WORK' })).id;
    recipient = (await f.organization({ kind: 'DISEASE_SUPPORT_CENTER' })).id;
    stranger = (await f.organization({ kind: 'NPO' })).id;
    const q = async (sql: string, params: unknown[]) => (await db.owner.query(sql, params)).rows[0];
    clientId = (
      await q(
        `INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code, phone,
           designated_disease_numbers, disclosure)
         VALUES (gen_random_uuid(), $1, '佐藤', '一郎', '1975-04-01', '14', '090-0000-0000', '{13}', 'OPEN') RETURNING id`,
        [owner],
      )
    ).id;
    caseId = (await q(`INSERT INTO cases (org_id, client_id) VALUES ($1, $2) RETURNING id`, [owner, clientId])).id;
    grantId = (
      await q(
        `INSERT INTO consent_grants (org_id, client_id, recipient_org_ids, purposes, categories, method)
         VALUES ($1, $2, ARRAY[$3]::uuid[], '{REFERRAL,INFO_SHARING}', '{IDENTITY,CONTACT}', 'WRITTEN') RETURNING id`,
        [owner, clientId, recipient],
      )
    ).id;
    referralId = (
      await q(
        `INSERT INTO referrals (org_id, to_org_id, client_id, from_case_id, consent_id, reason, shared_categories,
           status, sent_at)
         VALUES ($1, $2, $3, $4, $5, 'MEDICAL', '{IDENTITY,HEALTH}', 'SENT', now()) RETURNING id`,
        [owner, recipient, clientId, caseId, grantId],
      )
    ).id;
  });
  afterAll(async () => {
    await app.drop();
  });

  it('refuses the personal columns of clients to the application role, even for its own clients', async () => {
    expect(await app.sqlError(owner, 'SELECT family_name FROM clients')).toBe('42501');
    expect(await app.sqlError(owner, `SELECT id FROM clients WHERE family_name = '佐藤'`)).toBe('42501');
    expect(await app.sqlError(owner, `UPDATE clients SET phone = NULL`)).toBe('42501');
    expect(await app.sqlError(owner, `DELETE FROM clients`)).toBe('42501');
  });

  it('shows the owner the whole profile', async () => {
    expect(await profile(owner)).toMatchObject({ family_name: '佐藤', phone: '090-0000-0000', disclosure: 'OPEN' });
  });

  it('shows a recipient nothing while the referral is only sent or received', async () => {
    expect(await profile(recipient)).toBeNull();
    expect(await visibleIds(recipient)).toBe(0);
    await db.owner.query(`UPDATE referrals SET status = 'RECEIVED' WHERE id = $1`, [referralId]);
    expect(await profile(recipient)).toBeNull();
  });

  it('after acceptance, shows a recipient only the categories both shared and consented', async () => {
    await db.owner.query(`UPDATE referrals SET status = 'ACCEPTED' WHERE id = $1`, [referralId]);
    const p = await profile(recipient);
    expect(p).toMatchObject({ visible_categories: ['IDENTITY'], family_name: '佐藤', given_name: '一郎' });
    expect(p.phone).toBeNull(); // consented (CONTACT) but not shared
    expect(p.designated_disease_numbers).toBeNull(); // shared (HEALTH) but not consented
    expect(p.disclosure).toBeNull();
    expect(await visibleIds(recipient)).toBe(1);
    expect(await profile(stranger)).toBeNull();
    expect(await visibleIds(stranger)).toBe(0);
  });

  it('closes the moment the grant is withdrawn or expires', async () => {
    await db.owner.query(`UPDATE consent_grants SET withdrawn_at = now(), withdrawal_reason = 'x' WHERE id = $1`, [
      grantId,
    ]);
    expect(await profile(recipient)).toBeNull();
    expect(await visibleIds(recipient)).toBe(0);
    await db.owner.query(
      `UPDATE consent_grants SET withdrawn_at = NULL, withdrawal_reason = NULL, granted_at = now() - interval '2 days',
         expires_at = now() - interval '1 second' WHERE id = $1`,
      [grantId],
    );
    expect(await profile(recipient)).toBeNull();
    await db.owner.query(`UPDATE consent_grants SET expires_at = now() + interval '1 day' WHERE id = $1`, [grantId]);
    expect(await profile(recipient)).not.toBeNull();
  });

  it('shows nothing without an organization setting', async () => {
    const c = await app.pool.connect();
    try {
      expect((await c.query('SELECT * FROM client_profiles')).rows).toEqual([]);
      expect((await c.query('SELECT id FROM clients')).rows).toEqual([]);
      expect((await c.query('SELECT id FROM referrals')).rows).toEqual([]);
    } finally {
      c.release();
    }
  });

  it('keeps cases, grants, provisions and timelines to their organization', async () => {
    await db.owner.query(
      `INSERT INTO timeline_entries (org_id, client_id, case_id, kind, occurred_at, author_org_id, summary, body)
       VALUES ($1, $2, $3, 'NOTE', now(), $1, '面談', '本文')`,
      [owner, clientId, caseId],
    );
    for (const table of ['cases', 'timeline_entries', 'data_provisions', 'case_assignments']) {
      expect(await app.as(stranger, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows)).toEqual([]);
      expect(await app.as(recipient, async (c) => (await c.query(`SELECT * FROM ${table}`)).rows)).toEqual([]);
    }
    // The recipient reads the grant its referral relies on; a stranger reads no grant at all.
    expect(await app.as(recipient, async (c) => (await c.query('SELECT id FROM consent_grants')).rows)).toHaveLength(1);
    expect(await app.as(stranger, async (c) => (await c.query('SELECT id FROM consent_grants')).rows)).toEqual([]);
  });

  it('refuses to write another organization’s rows', async () => {
    expect(
      await app.sqlError(stranger, `INSERT INTO cases (org_id, client_id) VALUES ($1, $2)`, [owner, clientId]),
    ).toBe('42501');
    expect(
      await app.sqlError(
        stranger,
        `INSERT INTO timeline_entries (org_id, client_id, kind, occurred_at, author_org_id, summary)
         VALUES ($1, $2, 'NOTE', now(), $3, 'x')`,
        [owner, clientId, stranger],
      ),
    ).toBe('42501');
    const changed = await app.as(stranger, async (c) => {
      const r = await c.query(`UPDATE referrals SET status = 'CANCELLED' WHERE id = $1`, [referralId]);
      return r.rowCount;
    });
    expect(changed).toBe(0);
  });

  it('keeps timelines, transitions and provisions append-only', async () => {
    for (const sql of [
      `UPDATE timeline_entries SET body = 'rewritten'`,
      `DELETE FROM timeline_entries`,
      `DELETE FROM data_provisions`,
      `UPDATE data_provisions SET categories = '{IDENTITY}'`,
      `DELETE FROM referral_transitions`,
      `TRUNCATE timeline_entries`,
      `DELETE FROM consent_grants`,
      `UPDATE consent_grants SET categories = '{IDENTITY,CONTACT,HEALTH}'`,
    ]) {
      expect({ sql, code: await app.sqlError(owner, sql) }).toEqual({ sql, code: '42501' });
    }
  });

  it('refuses, in the database itself, a referral transition the product does not allow or a rewrite of what was sent', async () => {
    await db.owner.query(`UPDATE referrals SET status = 'COMPLETED' WHERE id = $1`, [referralId]);
    expect(await app.sqlError(owner, `UPDATE referrals SET status = 'SENT' WHERE id = $1`, [referralId])).toBe('23514');
    expect(await app.sqlError(recipient, `UPDATE referrals SET status = 'ACCEPTED' WHERE id = $1`, [referralId])).toBe(
      '23514',
    );
    expect(await app.sqlError(owner, `UPDATE referrals SET outcome = 'changed' WHERE id = $1`, [referralId])).toBe(
      '23514',
    );
  });
});
