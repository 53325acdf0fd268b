import { Injectable, Logger } from '@nestjs/common';
import { Database, RedisConnection, type TenantScope, type Tx } from '@tasuki/platform';
import { isUuid } from '../shared/validation.js';

/** A notification row just inserted: ids only, which is all that ever goes to Redis. */
export interface AddedNotification {
  id: string;
  orgId: string;
  userId: string;
}

/** The Redis pub/sub channel of new notifications, under the deployment's key prefix (`{tasuki}:notifications`). */
export const notificationChannel = (keyPrefix: string) => `${keyPrefix}:notifications`;

/** One message per committed transaction: `[[id, orgId, userId], …]`. No message text, no personal data. */
export const encodeAdded = (added: readonly AddedNotification[]): string =>
  JSON.stringify(added.map((a) => [a.id, a.orgId, a.userId]));

/** The entries of a message that are well-formed (three UUIDs); anything else on the channel is ignored. */
export function decodeAdded(message: string): AddedNotification[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((e): e is [string, string, string] => Array.isArray(e) && e.length === 3 && e.every(isUuid))
    .map(([id, orgId, userId]) => ({ id, orgId, userId }));
}

const collected = new WeakMap<Tx, AddedNotification[]>();

/**
 * The notifications `notify()` inserted in this transaction, for publishing after it commits. Throws when the
 * transaction was not opened by `NotificationFeed.run`: its notifications would never be pushed live.
 */
export function collectorOf(tx: Tx): AddedNotification[] {
  const list = collected.get(tx);
  if (!list) throw new Error('notify() needs a transaction opened by NotificationFeed.run (live push after commit)');
  return list;
}

/**
 * The live half of notifications. Work that may notify runs through `run`: one tenant transaction whose `notify()`
 * calls record the rows they insert; after it COMMITS, their ids are published on the Redis channel, where the API
 * processes push them to the subscribers they belong to. A publish is best effort: skipped while Redis is not
 * connected, never thrown (the notification is committed; a client refetches `notifications` on reconnect).
 */
@Injectable()
export class NotificationFeed {
  private readonly logger = new Logger(NotificationFeed.name);
  readonly channel: string;

  constructor(
    private readonly db: Database,
    private readonly redis: RedisConnection,
  ) {
    this.channel = notificationChannel(redis.keyPrefix);
  }

  async run<T>(scope: TenantScope, work: (tx: Tx) => Promise<T>): Promise<T> {
    let added: AddedNotification[] = [];
    const result = await this.db.run(scope, (tx) => {
      added = [];
      collected.set(tx, added);
      return work(tx);
    });
    await this.publish(added);
    return result;
  }

  /** Publishes committed notifications' ids; false when Redis did not take them (logged, not thrown). */
  async publish(added: readonly AddedNotification[]): Promise<boolean> {
    if (added.length === 0) return true;
    const sent = await this.redis.publish(this.channel, encodeAdded(added));
    if (!sent) this.logger.warn(`live push of ${added.length} notification(s) skipped: Redis did not take it`);
    return sent;
  }
}
