import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Tx } from '@tasuki/platform';
import { decodeAdded, encodeAdded, notificationChannel } from './notification-feed.js';
import { notify } from './notify.js';

describe('the live notification channel', () => {
  it('carries ids only, under the key prefix', () => {
    const added = [{ id: randomUUID(), orgId: randomUUID(), userId: randomUUID() }];
    const message = encodeAdded(added);
    expect(message).toBe(JSON.stringify([[added[0]!.id, added[0]!.orgId, added[0]!.userId]]));
    expect(decodeAdded(message)).toEqual(added);
    expect(notificationChannel('{tasuki}')).toBe('{tasuki}:notifications');
  });

  it('ignores anything on the channel that is not a list of three UUIDs', () => {
    const good = [randomUUID(), randomUUID(), randomUUID()];
    for (const junk of ['', 'not json', '{}', 'null', '[1]', '[["a","b","c"]]', JSON.stringify([good.slice(0, 2)])]) {
      expect(decodeAdded(junk)).toEqual([]);
    }
    expect(decodeAdded(JSON.stringify([good, [good[0], 'x', good[2]], [...good, good[0]]]))).toEqual([
      { id: good[0], orgId: good[1], userId: good[2] },
    ]);
  });

  it('refuses notify() in a transaction NotificationFeed.run did not open, before writing anything', async () => {
    const untouched = {} as Tx; // any query on it would throw a TypeError instead
    await expect(
      notify(untouched, {
        orgId: randomUUID(),
        userIds: [randomUUID()],
        kind: 'X',
        subjectType: null,
        subjectId: null,
        message: 'x',
        dedupeKey: 'x',
      }),
    ).rejects.toThrow('NotificationFeed.run');
  });
});
