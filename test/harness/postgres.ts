import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** The owner (superuser) connection the tests use for set-up: TEST_DATABASE_URL, DATABASE_URL, or the local server. */
export function adminUrl(database = 'postgres'): string {
  const base =
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** The template's name follows the migrations' content, so a changed migration gets a fresh template. */
export function templateName(root: string): string {
  const dir = join(root, 'migrations');
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  return `tasuki_tpl_${hash.digest('hex').slice(0, 12)}`;
}

export async function withAdmin<T>(work: (c: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const randomSuffix = () => randomBytes(4).toString('hex');
