import { Cluster, ReplyError, type Redis } from 'ioredis';
import type { RedisClient } from '../redis/redis-client.js';

/** Raised when Redis is set up to lose BullMQ's keys; the worker refuses to start with its message. */
export class RedisEvictionPolicyError extends Error {
  constructor(where: string, policy: string) {
    super(
      `Redis ${where} has maxmemory-policy "${policy}": BullMQ needs "noeviction", otherwise Redis may evict queue ` +
        'keys when memory runs short and jobs are lost. Set `maxmemory-policy noeviction` in redis.conf (or run ' +
        '`CONFIG SET maxmemory-policy noeviction` then `CONFIG REWRITE`; on a managed Redis, in its parameter group) ' +
        'and start the worker again.',
    );
    this.name = 'RedisEvictionPolicyError';
  }
}

/**
 * Checks `maxmemory-policy` on the server (on a cluster, on every master) and throws RedisEvictionPolicyError unless
 * it is `noeviction`. It asks CONFIG GET; providers that disable or rename CONFIG (or an ACL that forbids it) answer
 * with an error reply, and then INFO memory's `maxmemory_policy` is read instead. When neither tells, `warn` is told
 * and the check passes: the policy cannot be known from here.
 */
export async function assertNoEviction(client: RedisClient, warn: (msg: string) => void): Promise<void> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  for (const server of servers) {
    const where = `${server.options.host ?? '?'}:${server.options.port ?? '?'}`;
    const policy = await evictionPolicyOf(server);
    if (typeof policy !== 'string') {
      warn(
        `Redis ${where} refused CONFIG GET maxmemory-policy (${policy.refused}) and INFO does not say it either; ` +
          'cannot check that it is noeviction. Make sure it is: BullMQ loses jobs under any eviction policy.',
      );
    } else if (policy !== 'noeviction') {
      throw new RedisEvictionPolicyError(where, policy);
    }
  }
}

async function evictionPolicyOf(server: Redis): Promise<string | { refused: string }> {
  try {
    const reply = await server.config('GET', 'maxmemory-policy');
    return Array.isArray(reply) ? String(reply[1] ?? '') : '';
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
    const refused = (err as Error).message;
    const info = await server.info('memory').catch((e: unknown) => {
      if (e instanceof ReplyError) return '';
      throw e;
    });
    return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? { refused };
  }
}
