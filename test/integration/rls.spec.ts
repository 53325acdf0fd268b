import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';
import { factories } from '../harness/factories.js';

/**
 * The second wall, tested without the service: raw SQL as the application role (tasuki_app). Whatever the
 * application gets wrong, PostgreSQL itself must not show or change another organization's rows.
 */
describe('row-level security as the application role', () => {
  let db: TestDatabase;
  let app: pg.Pool;
  let orgA: string;
  let orgB: string;
  let userA: string;
  let userB: string;

  /** One transaction as tasuki_app with the given tenant settings (set_config, local to the transaction). */
  async function as<T>(settings: Record<string, string>, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      for (const [k, v] of Object.entries(settings)) await c.query('SELECT set_config($1, $2, true)', [k, v]);
      const out = await work(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK');
      throw err;
    } finally {
      c.release();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    app = new pg.Pool({ connectionString: db.appUrl, max: 2 });
    const f = factories(db.owner);
    orgA = (await f.organization()).id;
    orgB = (await f.organization()).id;
    userA = (await f.member(orgA, ['ORG_ADMIN', 'COORDINATOR'])).id;
    userB = (await f.member(orgB, ['ORG_ADMIN'])).id;
    await db.owner.query(
      `INSERT INTO audit_events (org_id, seq, action, subject_type, prev_hash, hash) VALUES ($1, 1, 'x', 'X', 'p', 'h'), ($2, 1, 'x', 'X', 'p', 'h')`,
      [orgA, orgB],
    );
  });
  afterAll(async () => {
    await app.end();
    await db.drop();
  });

  it('connects as a role that is not superuser, cannot bypass RLS, cannot create roles or databases', async () => {
    const { rows } = await app.query(
      `SELECT current_user AS name, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      name: 'tasuki_app',
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
    });
  });

  it('owns no table, sequence, function or schema', async () => {
    const { rows } = await db.owner.query(`
      SELECT c.relname AS name FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'tasuki_app'
      UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = 'tasuki_app'
      UNION ALL SELECT n.nspname FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE r.rolname = 'tasuki_app'`);
    expect(rows).toEqual([]);
  });

  it('has DML grants only: no DDL, no TRUNCATE, and no UPDATE, DELETE or TRUNCATE on the audit log', async () => {
    await expect(app.query('CREATE TABLE sneaky (id int)')).rejects.toThrow(/permission denied/);
    await expect(app.query('TRUNCATE organizations')).rejects.toThrow(/permission denied/);
    await expect(app.query('TRUNCATE audit_events')).rejects.toThrow(/permission denied/);
    await expect(app.query('ALTER TABLE organizations DISABLE ROW LEVEL SECURITY')).rejects.toThrow(/must be owner/);
    await expect(
      as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) => c.query('DELETE FROM audit_events')),
    ).rejects.toThrow(/permission denied/);
    await expect(
      as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) => c.query(`UPDATE audit_events SET action = 'y'`)),
    ).rejects.toThrow(/permission denied/);
  });

  it('lists no offender: every table with an org column has RLS enabled and forced, and so does every table', async () => {
    const { rows } = await db.owner.query(`
      SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         AND c.relname <> 'typeorm_migrations'
         AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity)`);
    expect(rows).toEqual([]);
    const { rows: orgTables } = await db.owner.query(`
      SELECT DISTINCT table_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = 'org_id'`);
    expect(orgTables.length).toBeGreaterThan(0);
  });

  it('gives the application role no access to the migrations table', async () => {
    await expect(app.query('SELECT * FROM typeorm_migrations')).rejects.toThrow(/permission denied/);
  });

  it('shows zero rows of every table when no tenant is set', async () => {
    const { rows: tables } = await db.owner.query<{ relname: string }>(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'typeorm_migrations'`);
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const { relname } of tables) {
      const { rows } = await app.query(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(relname)}`);
      expect({ table: relname, n: rows[0].n }).toEqual({ table: relname, n: 0 });
    }
  });

  it('shows an organization only its own memberships and audit events', async () => {
    const seen = await as({ 'app.org_id': orgA, 'app.user_id': userA }, async (c) => ({
      memberships: (await c.query('SELECT DISTINCT org_id FROM memberships')).rows.map((r) => r.org_id),
      audit: (await c.query('SELECT DISTINCT org_id FROM audit_events')).rows.map((r) => r.org_id),
      users: (await c.query('SELECT id FROM users')).rows.map((r) => r.id),
    }));
    expect(seen.memberships).toEqual([orgA]);
    expect(seen.audit).toEqual([orgA]);
    expect(seen.users).toEqual([userA]);
  });

  it('rejects an insert carrying another organization id', async () => {
    await expect(
      as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) =>
        c.query(`INSERT INTO memberships (org_id, user_id, roles) VALUES ($1, $2, '{SUPPORTER}')`, [orgB, userA]),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) =>
        c.query(
          `INSERT INTO audit_events (org_id, seq, action, subject_type, prev_hash, hash) VALUES ($1, 9, 'x', 'X', 'p', 'h')`,
          [orgB],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('neither updates another organization’s rows nor moves a row into another organization', async () => {
    const touched = await as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) =>
      c.query(`UPDATE memberships SET roles = '{ORG_ADMIN,COORDINATOR,SUPPORTER,ANALYST}' WHERE org_id = $1`, [orgB]),
    );
    expect(touched.rowCount).toBe(0);
    await expect(
      as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) =>
        c.query('UPDATE memberships SET org_id = $1 WHERE org_id = $2', [orgB, orgA]),
      ),
    ).rejects.toThrow(/row-level security/);
    const renamed = await as({ 'app.org_id': orgA, 'app.user_id': userA }, (c) =>
      c.query(`UPDATE organizations SET name = 'hijacked' WHERE id = $1`, [orgB]),
    );
    expect(renamed.rowCount).toBe(0);
    const { rows } = await db.owner.query('SELECT roles FROM memberships WHERE org_id = $1', [orgB]);
    expect(rows.map((r) => r.roles)).toEqual([['ORG_ADMIN']]);
  });

  it('lets only the operator add an organization, and nobody make an operator', async () => {
    const insertOrg = (c: pg.PoolClient) =>
      c.query(`INSERT INTO organizations (name, kind, prefecture_code) VALUES ('x', 'NPO', '01')`);
    await expect(as({ 'app.org_id': orgA, 'app.user_id': userA }, insertOrg)).rejects.toThrow(/row-level security/);
    await expect(
      as({ 'app.user_id': userA, 'app.operator': 'on' }, (c) =>
        c.query(`INSERT INTO users (email, display_name, is_operator) VALUES ('op2@example.jp', 'x', true)`),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('never carries a tenant setting from one transaction to the next on the same connection', async () => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`, [orgB, userB]);
      expect((await c.query('SELECT count(*)::int AS n FROM memberships')).rows[0].n).toBe(1);
      await c.query('COMMIT');
      expect((await c.query(`SELECT current_setting('app.org_id', true) AS v`)).rows[0].v).toBe('');
      expect((await c.query('SELECT count(*)::int AS n FROM memberships')).rows[0].n).toBe(0);
    } finally {
      c.release();
    }
  });

  it('fails closed on a malformed tenant setting', async () => {
    await expect(as({ 'app.org_id': 'not-a-uuid' }, (c) => c.query('SELECT * FROM memberships'))).rejects.toThrow(
      /uuid/,
    );
  });
});
