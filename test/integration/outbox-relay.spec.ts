import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OutboxService, type OutboxRow } from '@tasuki/domain';
import { createDataSource, Database } from '@tasuki/platform';
import { factories } from '../harness/factories.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

/** The relay's claims, as the application role: oldest first, and again when a relayed row's job was lost. */
describe('outbox relay', () => {
  let db: TestDatabase;
  let app: Database;
  let outbox: OutboxService;
  let orgId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = new Database(await createDataSource({ url: db.appUrl, poolSize: 2 }).initialize());
    // The relay needs neither the live feed nor webhooks.
    outbox = new OutboxService(app, undefined as never, undefined as never);
    orgId = (await factories(db.owner).organization()).id;
  });
  afterAll(async () => {
    await app?.dataSource.destroy();
    await db?.drop();
  });

  const claim = async (opts: { limit?: number; staleBefore?: Date } = {}) => {
    let claimed: OutboxRow[] = [];
    await outbox.relay(async (rows) => {
      claimed = rows;
    }, opts);
    return claimed.map((r) => Number(r.id));
  };

  it('relays the oldest rows first (by number, not as text: 9 before 10)', async () => {
    await db.owner.query(
      `INSERT INTO outbox (org_id, kind, payload) SELECT $1, 'referral.sent', '{}' FROM generate_series(1, 12)`,
      [orgId],
    );
    const { rows } = await db.owner.query<{ id: string }>('SELECT id::text FROM outbox ORDER BY outbox.id');
    const ids = rows.map((r) => Number(r.id));
    expect(await claim({ limit: 10 })).toEqual(ids.slice(0, 10));
    expect(await claim({ limit: 10 })).toEqual(ids.slice(10));
    expect(await claim()).toEqual([]);
  });

  it('relays again a row relayed but never processed, once it is stale; a processed one never', async () => {
    await db.owner.query('UPDATE outbox SET relayed_at = now(), processed_at = now()');
    const { rows } = await db.owner.query<{ id: string }>(
      `INSERT INTO outbox (org_id, kind, payload, relayed_at, processed_at)
       VALUES ($1, 'referral.sent', '{}', now() - interval '1 hour', NULL),
              ($1, 'referral.sent', '{}', now() - interval '1 hour', now() - interval '1 hour')
       RETURNING id::text`,
      [orgId],
    );
    const lost = Number(rows[0]!.id);
    expect(await claim({ staleBefore: new Date(Date.now() - 2 * 3600_000) })).toEqual([]);
    expect(await claim()).toEqual([lost]);
    // Relayed again just now: not stale any more.
    expect(await claim()).toEqual([]);
  });
});
