import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** Stands for a signed-in user in the settings; the tables' policies read the organization. */
const SOME_USER = '00000000-0000-4000-8000-000000000001';

export interface AppRoleDatabase {
  /** The database, with the owner's pool for set-up and checks behind the service's back. */
  db: TestDatabase;
  /** Connections as the application role (tasuki_app). */
  pool: pg.Pool;
  /** One unit of work as the application role under an organization's setting (none for null), rolled back. */
  as<T>(orgId: string | null, work: (c: pg.PoolClient) => Promise<T>): Promise<T>;
  /** The SQLSTATE a statement fails with as the application role, or null when it succeeds (rolled back). */
  sqlError(orgId: string, sql: string, params?: unknown[]): Promise<string | null | undefined>;
  drop(): Promise<void>;
}

/**
 * A test database of its own for probing the second wall without the service: raw SQL as the application role,
 * each probe in a transaction that is rolled back, so probes leave nothing behind.
 */
export async function appRoleDatabase(): Promise<AppRoleDatabase> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.appUrl, max: 2 });
  async function as<T>(orgId: string | null, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      if (orgId) {
        await c.query(`SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`, [
          orgId,
          SOME_USER,
        ]);
      }
      return await work(c);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }
  const sqlError = (orgId: string, sql: string, params: unknown[] = []) =>
    as(orgId, async (c) => {
      try {
        await c.query(sql, params);
        return null;
      } catch (err) {
        return (err as { code?: string }).code;
      }
    });
  return {
    db,
    pool,
    as,
    sqlError,
    async drop() {
      await pool.end();
      await db.drop();
    },
  };
}
