import pg from 'pg';
import { APP_DB_ROLE } from '../config/config.js';
import { hashPassword } from '../authn/password.js';
import { createDataSource } from './data-source.js';

// Serializes migration runs when several processes (API replicas, the worker) start together.
const MIGRATION_LOCK = 7_310_001;

export interface MigrateResult {
  applied: string[];
  operatorCreated: boolean;
}

/**
 * Runs pending migrations as the owner role, then (optionally) sets the application role's password and creates the
 * platform operator from OPERATOR_EMAIL/OPERATOR_PASSWORD when no such user exists. Safe to run concurrently.
 */
export async function migrateDatabase(opts: {
  ownerUrl: string;
  appPassword?: string;
  operator?: { email: string; password: string };
}): Promise<MigrateResult> {
  const lock = new pg.Client({ connectionString: opts.ownerUrl, application_name: 'tasuki-migrate-lock' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ds = createDataSource({ url: opts.ownerUrl, poolSize: 2, applicationName: 'tasuki-migrate' });
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      if (opts.appPassword) {
        await ds.query(`ALTER ROLE ${APP_DB_ROLE} PASSWORD ${pg.escapeLiteral(opts.appPassword)}`);
      }
      let operatorCreated = false;
      if (opts.operator) {
        const rows: unknown[] = await ds.query('SELECT 1 FROM users WHERE email_normalized = lower($1)', [
          opts.operator.email,
        ]);
        if (rows.length === 0) {
          await ds.query(
            `INSERT INTO users (email, display_name, password_hash, is_operator) VALUES ($1, $2, $3, true)
             ON CONFLICT DO NOTHING`,
            [opts.operator.email, 'Platform operator', await hashPassword(opts.operator.password)],
          );
          operatorCreated = true;
        }
      }
      return { applied: applied.map((m) => m.name), operatorCreated };
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}
