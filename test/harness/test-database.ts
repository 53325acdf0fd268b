import pg from 'pg';
import { deriveAppUrl } from '@tasuki/platform';
import { adminUrl, randomSuffix, withAdmin } from './postgres.js';

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  /** A query as the owner (superuser): set-up and checks behind the service's back. */
  owner: pg.Pool;
  drop(): Promise<void>;
}

/** A database of its own for one test file, cloned from the migrated template in a fraction of a second. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.TASUKI_TEST_TEMPLATE;
  const run = process.env.TASUKI_TEST_RUN;
  if (!template || !run) throw new Error('test harness: globalSetup did not run');
  const name = `tasuki_t_${run}_${randomSuffix()}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin((c) =>
        c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`),
      );
      break;
    } catch (err) {
      // 55006: the template is briefly in use by a concurrent clone; try again.
      if ((err as { code?: string }).code !== '55006' || attempt > 20) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const ownerUrl = adminUrl(name);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 3 });
  return {
    name,
    ownerUrl,
    appUrl: deriveAppUrl(ownerUrl),
    owner,
    async drop() {
      // pool.end() resolves before its idle connections have finished closing, so the DROP ... WITH (FORCE) below
      // may terminate one (57P01); without a listener the pool would throw that into whichever test runs next.
      owner.on('error', () => undefined);
      await owner.end();
      await withAdmin(async (c) => {
        // pg-pool's end() resolves before the backends have exited. FORCE terminates one still closing, and its FATAL
        // reaches the closing client as a pool 'error' that nobody hears: the test file crashed after its tests had
        // passed. So wait (a second at most) for them to go; FORCE is left for a file that kept a connection open.
        for (let i = 0; i < 50; i++) {
          const { rowCount } = await c.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1', [name]);
          if (!rowCount) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      });
    },
  };
}
