import type { OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { withTimeout } from '../process/timeout.js';

/** The process's Redis connection (BullMQ opens its own from the same URL). */
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(
    readonly url: string,
    readonly keyPrefix: string,
  ) {
    // maxRetriesPerRequest null: commands wait for a reconnect instead of failing while Redis restarts.
    this.client = new Redis(url, {
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      lazyConnect: false,
      // How long disconnect() waits on a socket that never connected (default 2 s holds a stopping process).
      disconnectTimeout: 200,
    });
    this.client.on('error', () => undefined); // reconnects on its own; readiness reports the state
  }

  async ping(timeoutMs = 1000): Promise<void> {
    await withTimeout(this.client.ping(), timeoutMs, 'Redis did not answer PING in time');
  }

  async onApplicationShutdown(): Promise<void> {
    // QUIT would wait for a reconnect that may never come; while not connected, just drop the socket.
    if (this.client.status !== 'ready') return this.client.disconnect();
    const timer = setTimeout(() => this.client.disconnect(), 2000);
    await this.client.quit().catch(() => this.client.disconnect());
    clearTimeout(timer);
  }
}
