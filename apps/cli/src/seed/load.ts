import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  DESIGNATED_DISEASE_LIST_EFFECTIVE_ON,
  DESIGNATED_DISEASE_FALLBACK_MAX,
  DesignatedDiseaseListError,
  importDesignatedDiseases,
  readDesignatedDiseaseList,
} from '@tasuki/domain';
import { hashPassword, migrateDatabase } from '@tasuki/platform';
import { emptyRows, NetworkGenerator, type Rows, type Scale, SCALES, type TableName } from './network.js';

type ColumnType = 'uuid' | 'text' | 'timestamptz' | 'date' | 'int' | 'bool' | 'uuid[]' | 'text[]' | 'int[]';

/** Every column the seed writes, in the order of the generator's rows; nothing is left to a default. */
const COLUMNS: Record<TableName, [string, ColumnType][]> = {
  organizations: [
    ['id', 'uuid'],
    ['name', 'text'],
    ['kind', 'text'],
    ['prefecture_code', 'text'],
    ['municipality_code', 'text'],
    ['services', 'text[]'],
    ['accepts_referrals', 'bool'],
    ['contact', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  users: [
    ['id', 'uuid'],
    ['email', 'text'],
    ['display_name', 'text'],
    ['password_hash', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  memberships: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['user_id', 'uuid'],
    ['roles', 'text[]'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  clients: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['family_name', 'text'],
    ['given_name', 'text'],
    ['family_name_kana', 'text'],
    ['given_name_kana', 'text'],
    ['birth_date', 'date'],
    ['sex', 'text'],
    ['prefecture_code', 'text'],
    ['municipality_code', 'text'],
    ['phone', 'text'],
    ['email', 'text'],
    ['designated_disease_numbers', 'int[]'],
    ['disability_certificate', 'text'],
    ['disclosure', 'text'],
    ['created_by', 'uuid'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  cases: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['client_id', 'uuid'],
    ['status', 'text'],
    ['phase', 'text'],
    ['opened_at', 'timestamptz'],
    ['closed_at', 'timestamptz'],
    ['close_reason', 'text'],
    ['last_activity_at', 'timestamptz'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  case_assignments: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['case_id', 'uuid'],
    ['user_id', 'uuid'],
    ['from_at', 'timestamptz'],
    ['to_at', 'timestamptz'],
    ['assigned_by', 'uuid'],
    ['ended_by', 'uuid'],
  ],
  consent_grants: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['client_id', 'uuid'],
    ['recipient_org_ids', 'uuid[]'],
    ['purposes', 'text[]'],
    ['categories', 'text[]'],
    ['method', 'text'],
    ['granted_by', 'text'],
    ['granted_at', 'timestamptz'],
    ['expires_at', 'timestamptz'],
    ['evidence_ref', 'text'],
    ['withdrawn_at', 'timestamptz'],
    ['withdrawal_reason', 'text'],
    ['withdrawn_by', 'uuid'],
    ['recorded_by', 'uuid'],
    ['created_at', 'timestamptz'],
  ],
  referrals: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['to_org_id', 'uuid'],
    ['client_id', 'uuid'],
    ['from_case_id', 'uuid'],
    ['to_case_id', 'uuid'],
    ['consent_id', 'uuid'],
    ['previous_referral_id', 'uuid'],
    ['reason', 'text'],
    ['urgency', 'text'],
    ['message', 'text'],
    ['shared_categories', 'text[]'],
    ['status', 'text'],
    ['status_reason', 'text'],
    ['decline_code', 'text'],
    ['outcome', 'text'],
    ['sent_at', 'timestamptz'],
    ['respond_by', 'date'],
    ['received_at', 'timestamptz'],
    ['responded_at', 'timestamptz'],
    ['closed_at', 'timestamptz'],
    ['created_by', 'uuid'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  referral_transitions: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['to_org_id', 'uuid'],
    ['referral_id', 'uuid'],
    ['from_status', 'text'],
    ['to_status', 'text'],
    ['at', 'timestamptz'],
    ['actor_org_id', 'uuid'],
    ['actor_user_id', 'uuid'],
    ['reason', 'text'],
    ['code', 'text'],
  ],
  data_provisions: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['client_id', 'uuid'],
    ['recipient_org_id', 'uuid'],
    ['categories', 'text[]'],
    ['consent_id', 'uuid'],
    ['referral_id', 'uuid'],
    ['provided_at', 'timestamptz'],
    ['provided_by', 'uuid'],
  ],
  timeline_entries: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['client_id', 'uuid'],
    ['case_id', 'uuid'],
    ['kind', 'text'],
    ['occurred_at', 'timestamptz'],
    ['recorded_at', 'timestamptz'],
    ['author_user_id', 'uuid'],
    ['author_org_id', 'uuid'],
    ['summary', 'text'],
    ['body', 'text'],
    ['referral_id', 'uuid'],
  ],
  placements: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['case_id', 'uuid'],
    ['client_id', 'uuid'],
    ['employer_name', 'text'],
    ['start_date', 'date'],
    ['employment_type', 'text'],
    ['route', 'text'],
    ['weekly_hours_band', 'text'],
    ['separated_on', 'date'],
    ['separation_reason', 'text'],
    ['recorded_by', 'uuid'],
    ['created_at', 'timestamptz'],
    ['separation_recorded_by', 'uuid'],
    ['separation_recorded_at', 'timestamptz'],
  ],
  follow_ups: [
    ['id', 'uuid'],
    ['org_id', 'uuid'],
    ['case_id', 'uuid'],
    ['placement_id', 'uuid'],
    ['milestone', 'text'],
    ['due_on', 'date'],
    ['status', 'text'],
    ['done_at', 'timestamptz'],
    ['method', 'text'],
    ['note', 'text'],
    ['done_by', 'uuid'],
    ['status_changed_at', 'timestamptz'],
  ],
};

/** Tables in the order their foreign keys need. */
export const SEED_TABLES = Object.keys(COLUMNS) as TableName[];

const BATCH = 5000;

/**
 * INSERT ... SELECT FROM unnest(...) in batches: one array parameter per column. Array-valued columns travel as
 * array literals in a text[] (unnest would flatten a two-dimensional array) and are cast back per row.
 */
function insertStatements(table: TableName, rows: unknown[][]): { text: string; values: unknown[] }[] {
  const cols = COLUMNS[table];
  const names = cols.map(([n]) => n).join(', ');
  const params = cols.map(([, t], i) => `$${i + 1}::${t.endsWith('[]') ? 'text' : t}[]`).join(', ');
  const select = cols.map(([n, t]) => (t.endsWith('[]') ? `${n}::${t}` : n)).join(', ');
  const text = `INSERT INTO ${table} (${names}) SELECT ${select} FROM unnest(${params}) AS u(${names})`;
  const out: { text: string; values: unknown[] }[] = [];
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    const values = cols.map(([, type], i) =>
      batch.map((row) => {
        const v = row[i];
        if (v === null || v === undefined) return null;
        if (type === 'timestamptz') return new Date(v as number).toISOString();
        if (type.endsWith('[]')) return `{${(v as unknown[]).join(',')}}`;
        return v;
      }),
    );
    out.push({ text, values });
  }
  return out;
}

async function insertAll(client: pg.ClientBase, rows: Rows, counts: Record<string, number>): Promise<void> {
  await client.query('BEGIN');
  for (const table of SEED_TABLES) {
    for (const s of insertStatements(table, rows[table])) await client.query(s.text, s.values);
    counts[table] = (counts[table] ?? 0) + rows[table].length;
  }
  await client.query('COMMIT');
}

/** The definitions of the seeded tables' plain (not unique, not primary-key) indexes. */
async function secondaryIndexes(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ def: string }>(
    `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
      WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY ($1) AND NOT i.indisunique AND NOT i.indisprimary
      ORDER BY 1`,
    [SEED_TABLES],
  );
  return rows.map((r) => r.def);
}

async function recreateIndexes(client: pg.Client, defs: readonly string[]): Promise<void> {
  for (const def of defs) await client.query(def.replace(/^CREATE INDEX /, 'CREATE INDEX IF NOT EXISTS '));
}

export interface SeedOptions {
  /** The owner role's URL (a superuser or a BYPASSRLS role: the seed writes every organization's rows). */
  ownerUrl: string;
  scale: Scale;
  seed: number;
  /** YYYY-MM-DD: the day the data is as of (every time lies before its midnight in Japan). */
  asOf: string;
  /** The ../shared/reference folder with the 指定難病 list. */
  referenceDir?: string;
  log?: (line: string) => void;
}

export interface SeedResult {
  counts: Record<string, number>;
  seconds: number;
}

/** The repository's root: the nearest folder above this file (in dist/ or not) holding package.json. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
/** The reference folder beside the repository (the same default as `npm run reference:import`). */
export const defaultReferenceDir = () => resolve(repositoryRoot(), '..', 'shared', 'reference');

/** Creates the database a URL names when it does not exist yet (connecting to `postgres` on the same server). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** The password every seeded user signs in with (development and benchmarks only). */
export const SEED_PASSWORD = 'tasuki-seed-password';

/**
 * Seeds an empty Tasuki database: migrates it, imports the 指定難病 list when it is empty, generates the network
 * and loads it in bulk, then VACUUM ANALYZE. Refuses a database that already holds organizations.
 */
export async function seedDatabase(o: SeedOptions): Promise<SeedResult> {
  const log = o.log ?? (() => undefined);
  const started = performance.now();
  await migrateDatabase({ ownerUrl: o.ownerUrl });
  const client = new pg.Client({ connectionString: o.ownerUrl, application_name: 'tasuki-seed' });
  await client.connect();
  let dropped: string[] = [];
  const dropSecondaryIndexes = async (c: pg.Client) => {
    dropped = await secondaryIndexes(c);
    for (const def of dropped) await c.query(`DROP INDEX ${def.match(/^CREATE INDEX (\S+) ON/)![1]}`);
    return dropped;
  };
  try {
    const role = await client.query<{ sees_all: boolean; name: string }>(
      `SELECT rolsuper OR rolbypassrls AS sees_all, rolname AS name FROM pg_roles WHERE rolname = current_user`,
    );
    if (!role.rows[0]?.sees_all) {
      throw new Error(`role ${role.rows[0]?.name} is subject to row-level security: seed as the owner (superuser)`);
    }
    const existing = await client.query('SELECT 1 FROM organizations LIMIT 1');
    if (existing.rowCount) throw new Error('this database already holds organizations: seed an empty database');
    const diseases = await client.query<{ number: number }>('SELECT number FROM designated_diseases ORDER BY 1');
    if (diseases.rowCount === 0) {
      const dir = o.referenceDir ?? defaultReferenceDir();
      try {
        const list = await readDesignatedDiseaseList(dir);
        await importDesignatedDiseases(o.ownerUrl, list, { effectiveOn: DESIGNATED_DISEASE_LIST_EFFECTIVE_ON });
        diseases.rows.push(...list.map((d) => ({ number: d.number })));
      } catch (err) {
        if (!(err instanceof DesignatedDiseaseListError && err.reason === 'missing-file')) throw err;
        // No list beside the repository: the numbers the product accepts without one (validated by range only).
        log(`  no 指定難病 list in ${dir}: disease numbers 1–${DESIGNATED_DISEASE_FALLBACK_MAX} without names`);
        for (let n = 1; n <= DESIGNATED_DISEASE_FALLBACK_MAX; n++) diseases.rows.push({ number: n });
      }
    }
    const asOf = Date.parse(`${o.asOf}T00:00:00+09:00`);
    if (Number.isNaN(asOf)) throw new Error(`--as-of must be a date YYYY-MM-DD, not ${o.asOf}`);
    const gen = new NetworkGenerator(
      o.scale,
      o.seed,
      asOf,
      diseases.rows.map((r) => r.number),
      await hashPassword(SEED_PASSWORD),
    );

    // Bulk-load settings: commits need not wait for the disk (a crash loses a half-made seed, which is redone
    // anyway), and the secondary indexes are built once at the end instead of row by row.
    await client.query('SET synchronous_commit = off');
    const indexes = await dropSecondaryIndexes(client);
    const counts: Record<string, number> = {};
    const network = emptyRows();
    gen.network(network);
    await insertAll(client, network, counts);
    const total = SCALES[o.scale].clients;
    const chunk = 2000;
    let pending: Promise<void> = Promise.resolve();
    for (let done = 0; done < total;) {
      const rows = emptyRows();
      for (const end = Math.min(total, done + chunk); done < end;) {
        gen.client(rows);
        done++;
      }
      // Generate the next chunk while PostgreSQL writes this one.
      await pending;
      pending = insertAll(client, rows, counts);
      if (done % 20_000 === 0 || done === total) {
        log(
          `  ${done.toLocaleString('en')} clients generated (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
      }
    }
    await pending;
    log(`  rebuilding ${indexes.length} secondary indexes`);
    await recreateIndexes(client, indexes);
    log('  VACUUM ANALYZE');
    await client.query('VACUUM ANALYZE');
    return { counts, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // Whatever was loaded, the schema keeps its indexes.
    await recreateIndexes(client, dropped).catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
