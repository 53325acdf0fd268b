import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appRoleDatabase, type AppRoleDatabase } from '../harness/app-role.js';
import { factories } from '../harness/factories.js';

/**
 * The worker's tables under row-level security, as the application role: the outbox is write-only for an
 * organization and readable only by the worker's sweeps (`app.system`); a user reads only their own notifications;
 * an organization's webhook and its deliveries are its own.
 */
describe('outbox, reminders and notifications under row-level security', () => {
  let probe: AppRoleDatabase;
  let org: string;
  let other: string;
  let userA: string;
  let userB: string;

  beforeAll(async () => {
    probe = await appRoleDatabase();
    const f = factories(probe.db.owner);
    org = (await f.organization()).id;
    other = (await f.organization()).id;
    userA = (await f.member(org, ['SUPPORTER'])).id;
    userB = (await f.member(org, ['SUPPORTER'])).id;
    await probe.db.owner.query(`INSERT INTO outbox (org_id, kind, payload) VALUES ($1, 'referral.sent', '{}')`, [org]);
    await probe.db.owner.query(
      `INSERT INTO notifications (org_id, user_id, kind, message, dedupe_key) VALUES ($1, $2, 'X', 'a', 'k1'),
         ($1, $3, 'X', 'b', 'k2')`,
      [org, userA, userB],
    );
    await probe.db.owner.query(
      `INSERT INTO reminders (org_id, kind, subject_id, due_at) VALUES ($1, 'STALE_CASES', $1, now())`,
      [org],
    );
    await probe.db.owner.query(`INSERT INTO webhooks (org_id, url, secret) VALUES ($1, 'https://a.example/h', $2)`, [
      org,
      'a'.repeat(40),
    ]);
    await probe.db.owner.query(
      `INSERT INTO webhook_deliveries (org_id, event_key, kind, payload) VALUES ($1, 'k1', 'X', '{}')`,
      [org],
    );
  });
  afterAll(() => probe.drop());

  const asUser = <T>(orgId: string, userId: string, sql: string, params: unknown[] = []) =>
    probe.as(orgId, async (c) => {
      await c.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
      return (await c.query(sql, params)).rows as T[];
    });

  it('lets an organization write the outbox but read none of it; the worker’s sweep reads every row', async () => {
    expect(await probe.as(org, async (c) => (await c.query('SELECT id FROM outbox')).rows)).toEqual([]);
    expect(
      await probe.sqlError(org, `INSERT INTO outbox (org_id, kind, payload) VALUES ($1, 'referral.sent', '{}')`, [org]),
    ).toBeNull();
    expect(
      await probe.sqlError(org, `INSERT INTO outbox (org_id, kind, payload) VALUES ($1, 'referral.sent', '{}')`, [
        other,
      ]),
    ).toBe('42501');
    const swept = await probe.as(null, async (c) => {
      await c.query(`SELECT set_config('app.system', 'on', true)`);
      return (await c.query('SELECT org_id FROM outbox')).rows;
    });
    expect(swept).toEqual([{ org_id: org }]);
    expect(await probe.sqlError(org, 'DELETE FROM outbox')).toBe('42501');
    expect(await probe.sqlError(org, `UPDATE outbox SET payload = '{"x":1}'`)).toBe('42501');
  });

  it('keeps reminders to their organization (and the sweep)', async () => {
    expect(await probe.as(other, async (c) => (await c.query('SELECT id FROM reminders')).rows)).toEqual([]);
    expect(await probe.as(org, async (c) => (await c.query('SELECT id FROM reminders')).rows)).toHaveLength(1);
    expect(await probe.sqlError(org, 'DELETE FROM reminders')).toBe('42501');
  });

  it('shows a user only their own notifications and lets them mark only those', async () => {
    expect(await asUser<{ message: string }>(org, userA, 'SELECT message FROM notifications')).toEqual([
      { message: 'a' },
    ]);
    expect(await asUser(other, userA, 'SELECT message FROM notifications')).toEqual([]);
    const marked = await asUser<{ n: number }>(
      org,
      userA,
      `WITH u AS (UPDATE notifications SET read_at = now() RETURNING 1) SELECT count(*)::int AS n FROM u`,
    );
    expect(marked).toEqual([{ n: 1 }]);
    expect(await probe.sqlError(org, `UPDATE notifications SET message = 'x'`)).toBe('42501');
  });

  it('keeps an organization’s webhook and deliveries from every other organization (and the sweep)', async () => {
    const count = (orgId: string | null, table: string) =>
      probe.as(orgId, async (c) => {
        if (!orgId) await c.query(`SELECT set_config('app.system', 'on', true)`);
        return (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
      });
    for (const table of ['webhooks', 'webhook_deliveries']) {
      expect(await count(org, table)).toBe(1);
      expect(await count(other, table)).toBe(0);
      expect(await count(null, table)).toBe(0);
    }
    const updated = await probe.as(other, async (c) => [
      (await c.query(`UPDATE webhooks SET active = false`)).rowCount,
      (await c.query(`UPDATE webhook_deliveries SET status = 'FAILED'`)).rowCount,
    ]);
    expect(updated).toEqual([0, 0]);
    expect(
      await probe.sqlError(
        other,
        `INSERT INTO webhook_deliveries (org_id, event_key, kind, payload) VALUES ($1, 'k2', 'X', '{}')`,
        [org],
      ),
    ).toBe('42501');
    expect(
      await probe.sqlError(other, `INSERT INTO webhooks (org_id, url, secret) VALUES ($1, 'https://b.example/h', $2)`, [
        org,
        'b'.repeat(40),
      ]),
    ).toBe('42501');
    // What was sent stays as it was recorded, and nothing is deleted behind the worker's back.
    expect(await probe.sqlError(org, `UPDATE webhook_deliveries SET payload = '{"x":1}'`)).toBe('42501');
    expect(await probe.sqlError(org, 'DELETE FROM webhook_deliveries')).toBe('42501');
    expect(await probe.sqlError(org, 'DELETE FROM webhooks')).toBe('42501');
    expect(await probe.sqlError(org, `UPDATE webhook_deliveries SET lease_until = now()`)).toBeNull();
  });
});
