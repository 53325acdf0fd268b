import type { Logger } from 'pino';
import type { RedisConnection } from '../redis/redis-connection.js';

/** One counter after a hit (or a look): how many hits in its window, and the seconds until the window ends. */
export interface Count {
  count: number;
  retryAfter: number;
}

// INCR, and start the window on the first hit (also when a key somehow lost its expiry); answers [count, ms left].
const HIT = `local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}`;
const PEEK = `local c = redis.call('GET', KEYS[1])
return {tonumber(c or '0'), redis.call('PTTL', KEYS[1])}`;

/**
 * How long one Redis call may take before the limiter decides without it: long enough that a loaded machine's slow
 * answer still counts in Redis, short enough that a hung Redis delays a request by at most this.
 */
const REDIS_TIMEOUT_MS = 1000;
const WARN_EVERY_MS = 30_000;

/**
 * Fixed-window counters in Redis, so every API process counts the same hits and a restarted process forgets nothing.
 * When Redis is not ready (or does not answer within 1 s) the limiter does not block the request: it counts in
 * this process instead (a looser limit, N processes allowing N times as much) and logs a warning at most every 30 s.
 */
export class RateLimiter {
  private readonly local = new Map<string, { count: number; endsAt: number }>();
  private lastWarning = 0;
  private seenReady = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {
    if (redis.client.status === 'ready') this.seenReady = true;
    else redis.client.once('ready', () => (this.seenReady = true));
  }

  /** Counts one hit on `key` in a window of `windowSeconds` starting at the key's first hit. */
  hit(key: string, windowSeconds: number): Promise<Count> {
    return this.call(HIT, key, windowSeconds * 1000, () => {
      const now = Date.now();
      const entry = this.local.get(key);
      const live = entry && entry.endsAt > now ? entry : { count: 0, endsAt: now + windowSeconds * 1000 };
      live.count++;
      this.local.set(key, live);
      this.sweep(now);
      return live;
    });
  }

  /** The current count of `key` without adding to it. */
  peek(key: string): Promise<Count> {
    return this.call(PEEK, key, 0, () => {
      const entry = this.local.get(key);
      return entry && entry.endsAt > Date.now() ? entry : { count: 0, endsAt: Date.now() };
    });
  }

  async clear(key: string): Promise<void> {
    this.local.delete(key);
    if (this.redis.client.status !== 'ready') return;
    await this.redis.client.del(this.redisKey(key)).catch(() => undefined);
  }

  private redisKey(key: string) {
    return `${this.prefix}:rl:${key}`;
  }

  private async call(
    script: string,
    key: string,
    windowMs: number,
    fallback: () => { count: number; endsAt: number },
  ): Promise<Count> {
    const local = (): Count => {
      const e = fallback();
      return { count: e.count, retryAfter: Math.max(1, Math.ceil((e.endsAt - Date.now()) / 1000)) };
    };
    // Before Redis was first ready (the process is starting) a command waits for the connection, up to the timeout;
    // after that, a connection that is not ready means an outage: decide at once.
    if (this.redis.client.status === 'ready') this.seenReady = true;
    else if (this.seenReady || this.redis.client.status === 'end') {
      return this.degraded(local, `Redis is ${this.redis.client.status}`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = (await Promise.race([
        this.redis.client.eval(script, 1, this.redisKey(key), String(windowMs)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
        }),
      ])) as [number, number];
      return { count: Number(answer[0]), retryAfter: Math.max(1, Math.ceil(Number(answer[1]) / 1000)) };
    } catch (err) {
      return this.degraded(local, (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private degraded(local: () => Count, why: string): Count {
    const now = Date.now();
    if (now - this.lastWarning > WARN_EVERY_MS) {
      this.lastWarning = now;
      this.logger?.warn({ why }, 'rate limits: Redis unavailable, counting in this process only');
    }
    return local();
  }

  private sweep(now: number) {
    if (this.local.size < 10_000) return;
    for (const [k, v] of this.local) if (v.endsAt <= now) this.local.delete(k);
  }
}
