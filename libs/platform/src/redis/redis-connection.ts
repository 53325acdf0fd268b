import type { OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Resolves with `work`, or rejects with `message` after `timeoutMs` (the command itself is not cancelled). */
async function within<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
    await within(this.client.ping(), timeoutMs, 'Redis did not answer PING in time');
  }

  /**
   * Best-effort PUBLISH: skipped at once while the connection is not ready (it would wait for a reconnect), given up
   * after `timeoutMs`, never thrown. True when Redis took the message.
   */
  async publish(channel: string, message: string, timeoutMs = 1000): Promise<boolean> {
    if (this.client.status !== 'ready') return false;
    try {
      await within(this.client.publish(channel, message), timeoutMs, 'Redis did not take PUBLISH in time');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // QUIT would wait for a reconnect that may never come; while not connected, just drop the socket.
    if (this.client.status !== 'ready') return this.client.disconnect();
    const timer = setTimeout(() => this.client.disconnect(), 2000);
    await this.client.quit().catch(() => this.client.disconnect());
    clearTimeout(timer);
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
