import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { freeLoopbackPort, sleep } from './local-files.js';
import { redactUrl } from './resolve-postgres.js';

export type RedisSource = 'REDIS_URL' | 'local-6379' | 'redis-server';

export interface ResolvedRedis {
  url: string;
  source: RedisSource;
  stop?: () => Promise<void>;
}

export class RedisUnavailableError extends Error {
  constructor() {
    super(
      'Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:6379 and no redis-server is on PATH. ' +
        'Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL.',
    );
    this.name = 'RedisUnavailableError';
  }
}

export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    // disconnect() on a client whose connection already failed would hold the process for its 2 s timeout.
    if (client.status !== 'end') client.disconnect();
  }
}

/**
 * Redis, in order of preference: REDIS_URL; a server answering on 127.0.0.1:6379; a `redis-server` from PATH started
 * on a free loopback port with its data under `dataDir`; otherwise a RedisUnavailableError saying how to install it.
 */
export async function resolveRedis(opts: {
  redisUrl?: string;
  dataDir: string;
  log: (msg: string) => void;
  /** Where to look for a machine's own server; tests point it at a closed port to reach the fallback. */
  localHostPort?: string;
  /** The redis-server binary to start (default: found on PATH). */
  redisServer?: string;
}): Promise<ResolvedRedis> {
  if (opts.redisUrl) {
    opts.log(`Redis: using REDIS_URL (${redactUrl(opts.redisUrl)})`);
    return { url: opts.redisUrl, source: 'REDIS_URL' };
  }
  const hostPort = opts.localHostPort ?? '127.0.0.1:6379';
  const local = `redis://${hostPort}`;
  if (await redisAnswers(local)) {
    opts.log(`Redis: REDIS_URL not set; using the server answering on ${hostPort}`);
    return { url: local, source: 'local-6379' };
  }
  return startRedisServer(opts.dataDir, opts.log, [], opts.redisServer);
}

/** Starts `redis-server` from PATH on a free loopback port; rejects with RedisUnavailableError when it is missing. */
export async function startRedisServer(
  dataDir: string,
  log: (msg: string) => void,
  extraArgs: string[] = [],
  binary = 'redis-server',
): Promise<ResolvedRedis> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const child = spawn(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', () => reject(new RedisUnavailableError())));
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      if (await redisAnswers(url)) return;
      await sleep(100);
    }
    throw new Error('redis-server did not answer within 10 s');
  })();
  await Promise.race([ready, spawnFailed]);
  log(`Redis: nothing configured or answering on 127.0.0.1:6379; started redis-server on ${url} (data in ${dir})`);
  return {
    url,
    source: 'redis-server',
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
