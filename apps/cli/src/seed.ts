import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig, resolvePostgres } from '@tasuki/platform';
import { SCALES, type Scale } from './seed/network.js';
import { ensureDatabase, SEED_PASSWORD, SEED_TABLES, seedDatabase } from './seed/load.js';

/**
 * `npm run seed -- --scale S|M|L [--seed N] [--as-of YYYY-MM-DD] [--database-url URL]`: fills an empty database with
 * the network of PRODUCT.md §4 (scale L: 300 organizations, 3,000 users, 200,000 clients, ...; M a tenth, S a
 * hundredth), deterministic for a seed number and as-of date, loaded in bulk as the owner role. The database is the
 * one given, else DATABASE_URL, else the local or embedded PostgreSQL the services use; it is migrated first.
 * Prints the rows made per table and the seconds. Exit codes: 64 bad arguments, 1 anything else.
 */
const USAGE =
  'usage: npm run seed -- --scale S|M|L [--seed N] [--as-of YYYY-MM-DD] [--database-url postgres://owner@host/db]';

async function main(): Promise<number> {
  let values: { scale?: string; seed?: string; 'as-of'?: string; 'database-url'?: string };
  try {
    ({ values } = parseArgs({
      options: {
        scale: { type: 'string' },
        seed: { type: 'string', default: '1' },
        'as-of': { type: 'string' },
        'database-url': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 64;
  }
  const scale = values.scale?.toUpperCase();
  const seed = Number(values.seed);
  if (!scale || !(scale in SCALES) || !Number.isInteger(seed)) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  // The default as-of day: today in Japan.
  const asOf = values['as-of'] ?? new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
  const config = loadConfig();
  const pg = await resolvePostgres({
    databaseUrl: values['database-url'] ?? config.database.ownerUrl,
    dataDir: config.dataDir,
    log: (line) => process.stderr.write(`seed: ${line}\n`),
  });
  try {
    if (values['database-url']) await ensureDatabase(pg.ownerUrl);
    const command = `npm run seed -- --scale ${scale} --seed ${seed} --as-of ${asOf}`;
    process.stdout.write(`${command}\n`);
    const { counts, seconds } = await seedDatabase({
      ownerUrl: pg.ownerUrl,
      scale: scale as Scale,
      seed,
      asOf,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    for (const table of SEED_TABLES) {
      process.stdout.write(`  ${table.padEnd(22)} ${counts[table]!.toLocaleString('en').padStart(10)}\n`);
    }
    process.stdout.write(`seeded in ${seconds.toFixed(1)} s; every user's password: ${SEED_PASSWORD}\n`);
    return 0;
  } finally {
    await pg.stop?.();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`seed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
