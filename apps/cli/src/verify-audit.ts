import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AuditService, isUuid } from '@tasuki/domain';
import { ConfigError, createDataSource, Database, loadConfig, resolvePostgres } from '@tasuki/platform';

/**
 * `npm run audit:verify -- [--org <uuid>]`: walks every organization's audit hash chain (or the one given) and prints
 * one line each, `<org id> ok <length>` or `<org id> BROKEN at seq <n>`. Exit code 0 when every chain verifies, 1 when
 * any is broken, 2 when it could not check (bad arguments, unknown organization, database unreachable), 78 on an
 * invalid environment (as the services).
 *
 * It finds PostgreSQL as the services do on their defaults (DATABASE_URL, else the local server, else the embedded
 * one under DATA_DIR) and connects as the owner role: this is an operator's check across organizations, outside any
 * request, so it must see every organization's chain. It never migrates and writes no row.
 */
const say = (line: string) => process.stdout.write(`${line}\n`);
// Progress and problems go to stderr, so stdout holds exactly the one line per organization.
const note = (line: string) => process.stderr.write(`audit:verify: ${line}\n`);

async function main(): Promise<number> {
  let org: string | undefined;
  try {
    ({ org } = parseArgs({ options: { org: { type: 'string' } }, strict: true }).values);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nusage: npm run audit:verify -- [--org <organization id>]`, {
      cause: err,
    });
  }
  if (org !== undefined && !isUuid(org)) throw new Error(`--org must be an organization id (a UUID), not "${org}"`);

  const config = loadConfig();
  if (!config.database.ownerUrl && config.database.appUrl) {
    throw new Error('DATABASE_APP_URL alone is not enough: set DATABASE_URL to the owner role');
  }
  const pg = await resolvePostgres({ databaseUrl: config.database.ownerUrl, dataDir: config.dataDir, log: note });
  const ds = createDataSource({ url: pg.ownerUrl, poolSize: 1, applicationName: 'tasuki-audit-verify' });
  try {
    await ds.initialize();
    const [role]: { name: string; sees_all: boolean }[] = await ds.query(
      `SELECT current_user AS name, rolsuper OR rolbypassrls AS sees_all FROM pg_roles WHERE rolname = current_user`,
    );
    // Under row-level security the organization list would come back empty and "no broken chain" would be a lie.
    if (!role!.sees_all) throw new Error(`role ${role!.name} is subject to row-level security: use the owner role`);
    const orgs: { id: string }[] = await ds.query(
      'SELECT id FROM organizations WHERE $1::uuid IS NULL OR id = $1 ORDER BY id',
      [org ?? null],
    );
    if (org && orgs.length === 0) throw new Error(`no organization ${org}`);

    const db = new Database(ds);
    const audit = new AuditService(db);
    let broken = 0;
    for (const { id } of orgs) {
      const result = await db.run({ orgId: id, userId: null }, (tx) => audit.verifyChain(tx, id));
      if (result.ok) say(`${id} ok ${result.length}`);
      else {
        broken++;
        say(`${id} BROKEN at seq ${result.brokenAt}`);
      }
    }
    note(`${orgs.length} organization(s) checked, ${broken} broken`);
    return broken > 0 ? 1 : 0;
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await pg.stop?.();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      note(err.message);
      process.exitCode = 78;
    } else {
      note(err instanceof Error ? err.message : String(err));
      // 42P01, undefined table: the database was found but never migrated (services migrate when they start).
      if ((err as { code?: unknown }).code === '42P01')
        note('this database has no Tasuki schema yet: `npm start` migrates it');
      process.exitCode = 2;
    }
  },
);
