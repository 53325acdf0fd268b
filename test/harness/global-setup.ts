import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase } from '../../libs/platform/src/database/migrate.js';
import { adminUrl, randomSuffix, templateName, withAdmin } from './postgres.js';

/**
 * Once per test run: make sure a template database with every migration applied exists (named after the
 * migrations' hash, so reruns reuse it), and give the run an id that names its per-file databases.
 */
export default async function globalSetup(): Promise<void> {
  const template = templateName(process.cwd());
  process.env.TASUKI_TEST_TEMPLATE = template;
  process.env.TASUKI_TEST_RUN = randomBytes(3).toString('hex');
  const exists = await withAdmin(
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])).rowCount,
  );
  if (exists) return sealTemplate(template);
  const building = `${template}_build_${randomSuffix()}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(building)}`));
  try {
    await migrateDatabase({ ownerUrl: adminUrl(building) });
    await withAdmin(async (c) => {
      try {
        await c.query(`ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(template)}`);
        await sealTemplate(template);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04') throw err; // another run built it first
        await c.query(`DROP DATABASE ${pg.escapeIdentifier(building)}`);
      }
    });
  } catch (err) {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`)).catch(
      () => undefined,
    );
    throw err;
  }
}

/**
 * No one may connect to the template (not even autovacuum): a connection to it would make the per-file clones fail
 * with "source database is being accessed by other users".
 */
async function sealTemplate(template: string): Promise<void> {
  await withAdmin((c) =>
    c.query(`ALTER DATABASE ${pg.escapeIdentifier(template)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
  );
}
