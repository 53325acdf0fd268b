import type { OnApplicationShutdown } from '@nestjs/common';
import type { RedisTarget } from '../config/config.js';
import { closeRedis, createRedisClient, pingRedis, type RedisClient } from './redis-client.js';

/** The process's Redis connection, to one server or a cluster (BullMQ opens its own, the same way). */
export class RedisConnection implements OnApplicationShutdown {
  readonly client: RedisClient;

  constructor(
    readonly target: RedisTarget,
    readonly keyPrefix: string,
  ) {
    // maxRetriesPerRequest null: commands wait for a reconnect instead of failing while Redis restarts.
    this.client = createRedisClient(target, {
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      lazyConnect: false,
      // How long disconnect() waits on a socket that never connected (default 2 s holds a stopping process).
      disconnectTimeout: 200,
    });
    this.client.on('error', () => undefined); // reconnects on its own; readiness reports the state
  }

  ping(timeoutMs = 1000): Promise<void> {
    return pingRedis(this.client, timeoutMs);
  }

  /**
   * Best-effort PUBLISH: skipped at once while the connection is not ready (it would wait for a reconnect), given up
   * after `timeoutMs`, never thrown. True when Redis took the message.
   */
  async publish(channel: string, message: string, timeoutMs = 1000): Promise<boolean> {
    if (this.client.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.client.publish(channel, message).then(() => true as const), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
