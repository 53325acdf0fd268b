import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { AuditService } from '@tasuki/domain';
import { createDataSource, Database } from '@tasuki/platform';
import { factories } from '../harness/factories.js';
import { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

/**
 * `npm run audit:verify` as an operator runs it: the built entry in a process of its own, over a database of its own
 * named by DATABASE_URL (the owner role), judged by its exit code and its one line per organization.
 */
const SCRIPT = 'node dist/apps/cli/src/verify-audit.js';
const ENTRY = resolve(process.cwd(), SCRIPT.split(' ')[1]!);

describe('npm run audit:verify', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A database of the test's own (the command checks every organization in it) with two intact chains. */
  async function setUp() {
    const db: TestDatabase = await createTestDatabase();
    cleanup.push(() => db.drop());
    const app = new Database(await createDataSource({ url: db.appUrl, poolSize: 1 }).initialize());
    cleanup.push(() => app.dataSource.destroy());
    const f = factories(db.owner);

    /** A new organization whose chain has `count` events, appended through the service as the application role. */
    const orgWithEvents = async (count: number) => {
      const orgId = (await f.organization()).id;
      await app.run({ orgId, userId: null }, (tx) =>
        new AuditService(app).recordMany(
          tx,
          Array.from({ length: count }, (_, i) => ({
            orgId,
            actorUserId: null,
            action: `test.${i}`,
            subjectType: 'T',
          })),
        ),
      );
      return orgId;
    };

    /** Runs the command to its end; stdout split into lines. */
    const verify = async (args: readonly string[] = [], env: Record<string, string | undefined> = {}) => {
      const merged = { NODE_ENV: 'test', DATABASE_URL: db.ownerUrl, ...env };
      const defined = Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined);
      const p = new ServiceProcess(ENTRY, Object.fromEntries(defined), args);
      cleanup.push(() => p.kill());
      const { code } = await p.waitForExit(20_000);
      return { code, lines: p.stdout.split('\n').filter(Boolean), stderr: p.stderr };
    };

    return { db, verify, orgWithEvents, orgA: await orgWithEvents(3), orgB: await orgWithEvents(4) };
  }

  it('is the package.json script that runs this entry after a build', () => {
    const pkg = JSON.parse(readFileSync(resolve(process.cwd(), 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['audit:verify']).toBe(`npm run build && ${SCRIPT}`);
  });

  it('prints every organization’s chain as ok with its length and exits 0, or only the one asked for', async () => {
    const { verify, orgA, orgB } = await setUp();
    const all = await verify();
    expect(all).toMatchObject({ code: 0 });
    expect(all.lines.sort()).toEqual([`${orgA} ok 3`, `${orgB} ok 4`].sort());
    expect(all.stderr).toContain('2 organization(s) checked, 0 broken');

    expect(await verify(['--org', orgB])).toMatchObject({ code: 0, lines: [`${orgB} ok 4`] });
  }, 60_000);

  it('exits 1 and prints the broken seq when an event was altered behind the service’s back, the others still ok', async () => {
    const { db, verify, orgWithEvents, orgA, orgB } = await setUp();
    const tampered = await orgWithEvents(3);
    await db.owner.query(`UPDATE audit_events SET action = 'test.rewritten' WHERE org_id = $1 AND seq = 2`, [tampered]);

    const all = await verify();
    expect(all.code).toBe(1);
    expect(all.lines.sort()).toEqual([`${orgA} ok 3`, `${orgB} ok 4`, `${tampered} BROKEN at seq 2`].sort());
    expect(all.stderr).toContain('3 organization(s) checked, 1 broken');
    expect(await verify(['--org', tampered])).toMatchObject({ code: 1, lines: [`${tampered} BROKEN at seq 2`] });
    expect(await verify(['--org', orgA])).toMatchObject({ code: 0, lines: [`${orgA} ok 3`] });
  }, 60_000);

  it('exits 2 with a message, printing no verdict, when it cannot check', async () => {
    const { db, verify } = await setUp();
    const refusals = [
      [['--org', 'not-a-uuid'], {}, /--org must be an organization id/],
      [['--org', '00000000-0000-4000-8000-000000000000'], {}, /no organization/],
      [['--verbose'], {}, /usage: npm run audit:verify/],
      [[], { DATABASE_URL: db.appUrl }, /row-level security/],
      [[], { DATABASE_URL: undefined, DATABASE_APP_URL: db.appUrl }, /set DATABASE_URL/],
    ] as const;
    // Side by side: each is a process start of its own, and a loaded machine makes five in a row slow.
    const results = await Promise.all(refusals.map(([args, env]) => verify(args, env)));
    refusals.forEach(([args, , message], i) => {
      expect({ args, code: results[i]!.code, lines: results[i]!.lines }).toEqual({ args, code: 2, lines: [] });
      expect(results[i]!.stderr).toMatch(message);
    });
  }, 60_000);
});
