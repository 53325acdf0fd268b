import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { deriveAppUrl, migrateDatabase } from '@tasuki/platform';
import type { Scale } from '../../apps/cli/src/seed/network.js';
import { ensureDatabase, SEED_TABLES, seedDatabase } from '../../apps/cli/src/seed/load.js';
import { adminUrl, withAdmin } from '../harness/postgres.js';
import type { TestDatabase } from '../harness/test-database.js';

export interface SeededDatabase {
  name: string;
  ownerUrl: string;
  scale: Scale;
  seed: number;
  /** Rows per table, as counted now. */
  counts: Record<string, number>;
  /** The command that seeds the same database by hand. */
  seedCommand: string;
}

/** The scale and seed a benchmark runs at: BENCH_SCALE (default L) and BENCH_SEED (default 1). */
export function benchScale(fallback: Scale = 'L'): { scale: Scale; seed: number } {
  const scale = (process.env.BENCH_SCALE ?? fallback).toUpperCase();
  if (scale !== 'S' && scale !== 'M' && scale !== 'L') throw new Error('BENCH_SCALE: S, M or L');
  const seed = Number(process.env.BENCH_SEED ?? 1);
  if (!Number.isInteger(seed)) throw new Error('BENCH_SEED: an integer');
  return { scale, seed };
}

/**
 * The database a benchmark runs on: `tasuki_seed_<scale>_<seed>` on the test server, seeded once (`npm run seed`'s
 * generator) and reused while its comment says it was completely seeded at that scale and seed. A half-seeded one
 * is dropped and seeded again. Pending migrations are applied either way.
 */
export async function seededDatabase(
  scale: Scale,
  seed: number,
  log = (l: string) => console.log(l),
): Promise<SeededDatabase> {
  const name = `tasuki_seed_${scale.toLowerCase()}_${seed}`;
  const ownerUrl = adminUrl(name);
  const marker = `tasuki seed scale=${scale} seed=${seed} complete`;
  const comment = await withAdmin(async (c) => {
    const r = await c.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [name],
    );
    return r.rowCount ? (r.rows[0]!.comment ?? '') : null;
  });
  const seedCommand = `npm run seed -- --scale ${scale} --seed ${seed} --database-url ${ownerUrl}`;
  if (comment !== null && !comment.startsWith(marker)) {
    log(`${name}: not completely seeded; dropping it`);
    await withAdmin((c) => c.query(`DROP DATABASE ${pg.escapeIdentifier(name)} WITH (FORCE)`));
  }
  if (comment === null || !comment.startsWith(marker)) {
    log(`seeding ${name} (scale ${scale}, seed ${seed}): ${seedCommand}`);
    await ensureDatabase(ownerUrl);
    const asOf = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
    const { seconds } = await seedDatabase({ ownerUrl, scale, seed, asOf, log });
    log(`seeded in ${seconds.toFixed(0)} s`);
    await withAdmin((c) =>
      c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(`${marker} as-of=${asOf}`)}`),
    );
  } else {
    log(`${name}: reusing (${comment})`);
    await migrateDatabase({ ownerUrl });
  }
  const counts: Record<string, number> = {};
  await withAdmin(async (c) => {
    for (const t of SEED_TABLES) {
      counts[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
    }
  }, name);
  return { name, ownerUrl, scale, seed, counts, seedCommand };
}

export const describeCounts = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([t, n]) => `${t} ${n.toLocaleString('en')}`)
    .join(', ');

/** The seeded database as the harness's TestDatabase, for startTestApi and startWorker; drop() keeps it. */
export function asTestDatabase(d: SeededDatabase): TestDatabase {
  const owner = new pg.Pool({ connectionString: d.ownerUrl, max: 3 });
  return {
    name: d.name,
    ownerUrl: d.ownerUrl,
    appUrl: deriveAppUrl(d.ownerUrl),
    owner,
    drop: () => owner.end(),
  };
}

/** The machine a figure was measured on: node, cores, and the load average that makes it noisy. */
export function machine(): string {
  const [one, five] = loadavg();
  return `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), load average ${one!.toFixed(1)} / ${five!.toFixed(1)} (1 / 5 min)`;
}
