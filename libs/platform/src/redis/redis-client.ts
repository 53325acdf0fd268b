import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/config.js';
import { redactUrl } from '../infra/resolve-postgres.js';

/** A connection to one Redis server or to a Redis Cluster: both answer the commands Tasuki and BullMQ send. */
export type RedisClient = Redis | Cluster;

/**
 * Opens a connection to the configured Redis. For a cluster, the seed nodes' scheme, user and password apply to every
 * node (the environment schema checks they agree) and the other nodes are discovered from the seeds.
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  const seeds = target.clusterNodes;
  if (seeds?.length) {
    const first = new URL(seeds[0]!);
    return new Cluster(
      seeds.map((n) => {
        const u = new URL(n);
        return { host: u.hostname, port: Number(u.port || 6379) };
      }),
      {
        enableReadyCheck: true,
        redisOptions: {
          ...options,
          username: first.username ? decodeURIComponent(first.username) : undefined,
          password: first.password ? decodeURIComponent(first.password) : undefined,
          ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
        },
      },
    );
  }
  if (!target.url) throw new Error('Redis: no REDIS_URL or REDIS_CLUSTER_NODES resolved');
  return new Redis(target.url, options);
}

/** The target for logs and messages, passwords redacted. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.clusterNodes?.length) return `the cluster at ${target.clusterNodes.map(redactUrl).join(', ')}`;
  return target.url ? redactUrl(target.url) : '(unresolved)';
}

/**
 * PING within `timeoutMs`; on a cluster also CLUSTER INFO, which must say `cluster_state:ok` (a cluster with slots
 * uncovered answers PING but refuses the queues' commands).
 */
export async function pingRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Redis did not answer PING in time')), timeoutMs);
  });
  const check = async () => {
    await client.ping();
    if (client instanceof Cluster) {
      const info = await client.cluster('INFO');
      const state = /cluster_state:(\w+)/.exec(info)?.[1];
      if (state !== 'ok') throw new Error(`Redis Cluster state is ${state ?? 'unknown'}, not ok`);
    }
  };
  try {
    await Promise.race([check(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection: QUIT when connected (bounded by 2 s), otherwise just drop the socket. */
export async function closeRedis(client: RedisClient): Promise<void> {
  // QUIT would wait for a reconnect that may never come; while not connected, just drop the socket.
  if (client.status !== 'ready') return client.disconnect();
  const timer = setTimeout(() => client.disconnect(), 2000);
  await client.quit().catch(() => client.disconnect());
  clearTimeout(timer);
}
