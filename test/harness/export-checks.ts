import pg from 'pg';
import { checkAnonymity, type AnonymityRules } from './anonymity-checker.js';

/**
 * What the end-to-end reporting tests judge a published record-level export by, written out here rather than taken
 * from the export's metadata: its allowlist of columns, the quasi-identifiers, the CSV's parsing, and every id of
 * the database, none of which may stand in a cell.
 */
export const EXPORT_COLUMNS = ['token', 'age', 'area', 'disease', 'organizationKind', 'intakeOn', 'outcome'];
export const EXPORT_QUASI_IDENTIFIERS = ['age', 'area', 'disease', 'organizationKind', 'intakeOn'];

/** RFC 4180 lines as the export writes them (CRLF, quotes doubled): the header's names, then the rows. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') field += text[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  const [header, ...rows] = records;
  return rows.map((r) => Object.fromEntries(header!.map((h, j) => [h, r[j]!])));
}

/** Every value of every uuid column of the database (as the owner, behind RLS). */
export async function databaseIds(owner: pg.Pool): Promise<Set<string>> {
  const { rows: uuidColumns } = await owner.query(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type = 'uuid'`,
  );
  const all = new Set<string>();
  for (const c of uuidColumns as { table_name: string; column_name: string }[]) {
    const { rows } = await owner.query(
      `SELECT DISTINCT ${pg.escapeIdentifier(c.column_name)}::text AS v FROM ${pg.escapeIdentifier(c.table_name)}
        WHERE ${pg.escapeIdentifier(c.column_name)} IS NOT NULL`,
    );
    for (const r of rows as { v: string }[]) all.add(r.v);
  }
  return all;
}

/** The independent checker's verdict on an export's published rows (none: they pass), at the export's k and ℓ. */
export function exportProblems(
  rows: readonly Readonly<Record<string, string>>[],
  k: number,
  l: number,
  extra: Partial<AnonymityRules> = {},
): string[] {
  return checkAnonymity(rows, {
    k,
    l,
    columns: EXPORT_COLUMNS,
    quasiIdentifiers: EXPORT_QUASI_IDENTIFIERS,
    outcome: 'outcome',
    token: 'token',
    ...extra,
  });
}
