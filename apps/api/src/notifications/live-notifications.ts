import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { decodeAdded, notificationChannel, NotificationsService, type NotificationView } from '@tasuki/domain';
import { AppError, assertCan, CONFIG, RedisConnection, type AppConfig, type RequestContext } from '@tasuki/platform';
import { API_LOGGER } from '../api.tokens.js';

/** Notifications loaded but not yet pulled by a slow client; beyond this the oldest are dropped (it can refetch). */
const MAX_BUFFERED = 100;

type Load = (ids: string[]) => Promise<NotificationView[]>;

/**
 * One subscriber's new notifications as an async iterator. Ids arrive from Redis; each batch is loaded in arrival
 * order by `load` (which re-checks the subscriber's token and membership and reads under their tenant scope) and
 * waits in a bounded buffer until GraphQL pulls it. A refusal (AppError: the token expired, the membership ended)
 * ends the stream with that error; any other failure to load is logged and that batch skipped.
 */
export class NotificationStream implements AsyncIterableIterator<NotificationView> {
  private readonly buffer: NotificationView[] = [];
  private waiting: { resolve: (r: IteratorResult<NotificationView>) => void; reject: (e: unknown) => void } | undefined;
  private failure: unknown;
  private ended = false;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly load: Load,
    private readonly onEnd: () => void,
    private readonly logger: Logger,
  ) {}

  deliver(ids: string[]): void {
    if (this.ended) return;
    this.loading = this.loading.then(async () => {
      if (this.ended) return;
      try {
        for (const n of await this.load(ids)) this.push(n);
      } catch (err) {
        if (err instanceof AppError) this.fail(err);
        else this.logger.warn({ err }, 'live notification not loaded; the client refetches on reconnect');
      }
    });
  }

  private push(n: NotificationView) {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: n, done: false });
      return;
    }
    if (this.buffer.length >= MAX_BUFFERED) this.buffer.shift();
    this.buffer.push(n);
  }

  private fail(err: unknown) {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    if (this.waiting) this.waiting.reject(err);
    else this.failure = err;
    this.waiting = undefined;
  }

  next(): Promise<IteratorResult<NotificationView>> {
    const n = this.buffer.shift();
    if (n) return Promise.resolve({ value: n, done: false });
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined;
      return Promise.reject(f);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The client completed the subscription or went away. */
  return(): Promise<IteratorResult<NotificationView>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  end(): void {
    this.buffer.length = 0;
    this.failure = undefined;
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The API process's side of live notifications: ONE Redis subscription per process (opened with the first
 * subscriber, closed at shutdown), and the streams of the subscribers connected to this process, keyed by
 * (organization, user). A published id reaches only the streams of its own organization and user, and each of them
 * loads it from PostgreSQL under its subscriber's tenant scope, so RLS applies to the push as to a query.
 */
@Injectable()
export class LiveNotifications implements OnApplicationShutdown {
  private subscriber: RedisConnection | undefined;
  private readonly streams = new Map<string, Set<NotificationStream>>();
  private readonly channel: string;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(API_LOGGER) private readonly logger: Logger,
    private readonly notifications: NotificationsService,
  ) {
    this.channel = notificationChannel(config.redis.keyPrefix);
  }

  /** Streams currently open in this process. */
  get streamCount(): number {
    let n = 0;
    for (const set of this.streams.values()) n += set.size;
    return n;
  }

  /**
   * A stream of the caller's new notifications in the organization they act for. `recheck` authenticates the
   * subscriber again (token, membership) before each push; the notifications are read with what it returns.
   */
  open(ctx: RequestContext, recheck: () => Promise<RequestContext>): NotificationStream {
    assertCan(ctx, 'read', 'Notification');
    const key = `${ctx.orgId}:${ctx.user.id}`;
    const stream: NotificationStream = new NotificationStream(
      async (ids) => this.notifications.byIds(await recheck(), ids),
      () => this.close(key, stream),
      this.logger,
    );
    let set = this.streams.get(key);
    if (!set) this.streams.set(key, (set = new Set()));
    set.add(stream);
    this.listen();
    return stream;
  }

  private close(key: string, stream: NotificationStream) {
    const set = this.streams.get(key);
    set?.delete(stream);
    if (set?.size === 0) this.streams.delete(key);
  }

  private listen() {
    if (this.subscriber) return;
    const subscriber = new RedisConnection(this.config.redis, this.config.redis.keyPrefix);
    this.subscriber = subscriber;
    subscriber.client.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.dispatch(message);
    });
    // ioredis subscribes again by itself after a reconnect; what was published meanwhile is lost (clients refetch).
    subscriber.client.subscribe(this.channel).catch((err: unknown) => {
      this.logger.warn({ err }, 'live notifications: Redis SUBSCRIBE failed; retried on reconnect');
    });
  }

  private dispatch(message: string) {
    const byKey = new Map<string, string[]>();
    for (const a of decodeAdded(message)) {
      const key = `${a.orgId}:${a.userId}`;
      if (!this.streams.has(key)) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), a.id]);
    }
    for (const [key, ids] of byKey) for (const stream of this.streams.get(key) ?? []) stream.deliver(ids);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.end();
    await this.subscriber?.close();
  }
}
