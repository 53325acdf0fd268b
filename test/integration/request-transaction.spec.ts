import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditService, type AuditInput } from '@tasuki/domain';
import { createDataSource, Database, type RequestTransaction } from '@tasuki/platform';
import { factories } from '../harness/factories.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

/**
 * The shared transaction of a query request (RequestTransaction), as the application role: the reads' audit is
 * written at `finish`, in the same transaction as the reads, and never when anything in the request failed.
 */
describe('the request transaction', () => {
  let db: TestDatabase;
  let app: Database;
  let audit: AuditService;
  let orgId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = new Database(await createDataSource({ url: db.appUrl, poolSize: 2 }).initialize());
    audit = new AuditService(app);
    orgId = (await factories(db.owner).organization()).id;
  });
  afterAll(async () => {
    await app.dataSource.destroy();
    await db.drop();
  });

  const events = async (action: string) =>
    Number(
      (await db.owner.query('SELECT count(*) AS n FROM audit_events WHERE action = $1', [action])).rows[0].n as string,
    );
  const event = (action: string): AuditInput => ({ orgId, actorUserId: null, action, subjectType: 'Test' });
  const defer = (t: RequestTransaction, action: string) =>
    t.defer('audit', event(action), (tx, items) => audit.recordMany(tx, items));

  it('reads in one transaction acting for the organization, and writes what they deferred only at finish', async () => {
    const t = app.requestTransaction();
    await t.actAs({ orgId, userId: null });
    const [a, b] = await Promise.all([
      t.run((tx) => tx.query(`SELECT txid_current() AS x, current_setting('app.org_id') AS org`)),
      t.run((tx) => tx.query(`SELECT txid_current() AS x`)),
    ]);
    expect(a[0].x).toBe(b[0].x);
    expect(a[0].org).toBe(orgId);
    defer(t, 'test.deferred');
    defer(t, 'test.deferred');
    expect(await events('test.deferred')).toBe(0);
    await t.finish();
    expect(await events('test.deferred')).toBe(2);
    expect(await app.run({ orgId, userId: null }, (tx) => audit.verifyChain(tx, orgId))).toEqual({
      ok: true,
      length: 2,
    });
  });

  it('writes nothing and throws at finish when a read failed in SQL', async () => {
    const t = app.requestTransaction();
    await t.actAs({ orgId, userId: null });
    defer(t, 'test.after-failed-read');
    await expect(t.run((tx) => tx.query('SELECT 1 / 0'))).rejects.toThrow();
    await expect(t.finish()).rejects.toThrow();
    expect(await events('test.after-failed-read')).toBe(0);
  });

  it('rolls back and throws when the deferred work fails, and frees its connection', async () => {
    const t = app.requestTransaction();
    await t.actAs({ orgId, userId: null });
    await t.run((tx) => tx.query('SELECT 1'));
    defer(t, 'test.before-failing-flush');
    t.defer('other', 1, async (tx) => {
      await tx.query('SELECT 1 / 0');
    });
    await expect(t.finish()).rejects.toThrow();
    expect(await events('test.before-failing-flush')).toBe(0);
    // Both pool connections are free again: two units of work at once still get one each.
    const scope = { orgId, userId: null };
    await Promise.all([1, 2].map(() => app.run(scope, (tx) => tx.query('SELECT pg_sleep(0.05)'))));
  });

  it('holds at most half the pool, so a unit of work of its own always finds a connection', async () => {
    // poolSize 2: one request transaction at a time; the second waits while Database.run still gets through.
    const [x, y] = [app.requestTransaction(), app.requestTransaction()];
    await Promise.all([x, y].map((r) => r.actAs({ orgId, userId: null })));
    await x.run((tx) => tx.query('SELECT 1'));
    let second = false;
    const waiting = y.run((tx) => tx.query('SELECT 1')).then(() => (second = true));
    expect(await app.run({ orgId, userId: null }, (tx) => tx.query('SELECT 2 AS n'))).toEqual([{ n: 2 }]);
    expect(second).toBe(false);
    await x.finish();
    await waiting;
    await y.finish();
  });

  it('writes nothing when the request went away before finish', async () => {
    const t = app.requestTransaction();
    await t.actAs({ orgId, userId: null });
    await t.run((tx) => tx.query('SELECT 1'));
    defer(t, 'test.abandoned');
    await t.abandon();
    await t.finish();
    expect(await events('test.abandoned')).toBe(0);
  });
});
