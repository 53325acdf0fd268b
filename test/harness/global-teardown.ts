import pg from 'pg';
import { withAdmin } from './postgres.js';

/** Drops whatever per-file databases of this run are left (a file that crashed before its afterAll). */
export default async function globalTeardown(): Promise<void> {
  const run = process.env.TASUKI_TEST_RUN;
  if (!run) return;
  await withAdmin(async (c) => {
    const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `tasuki_t_${run}_%`,
    ]);
    for (const { datname } of rows)
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
  });
}
