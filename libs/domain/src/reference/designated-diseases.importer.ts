import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource, queryRows } from '@tasuki/platform';
import { isIsoDate, isPlainLine } from '../shared/validation.js';
import { DESIGNATED_DISEASE_NUMBER_MAX } from './designated-diseases.js';

/**
 * The importer of the 指定難病 list and its disease groups (疾患群), in the CSV format of ../shared/reference
 * (SOURCE.md): `intractable_disease.csv` (`no,name`) and `intractable_disease_groups.csv` (`no,group`, a number may
 * have several rows). Both files are checked completely before anything is written; the upsert is one transaction
 * as the owner role, because the application role may only read the table.
 */

export const DESIGNATED_DISEASE_FILES = {
  names: 'intractable_disease.csv',
  groups: 'intractable_disease_groups.csv',
} as const;

/** The date the list in ../shared/reference took effect (SOURCE.md); the default of `npm run reference:import`. */
export const DESIGNATED_DISEASE_LIST_EFFECTIVE_ON = '2025-04-01';

// The bounds of the designated_diseases columns (migrations/1763800000000-cases.ts).
const NAME_MAX = 300;

export interface DesignatedDisease {
  number: number;
  name: string;
  /** Sorted, without duplicates. */
  groups: string[];
}

export interface DesignatedDiseaseImportSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Stored numbers the files no longer list: kept, because the list only grows and clients may still name them. */
  keptMissing: number;
  keptMissingNumbers: number[];
}

/**
 * Why an import was refused; nothing has been written. `missing-file`: a file could not be read; `malformed`: a row
 * is wrong (each problem names the file and line); `older-list`: the files would turn a row back to an older list.
 */
export class DesignatedDiseaseListError extends Error {
  constructor(
    readonly reason: 'missing-file' | 'malformed' | 'older-list',
    readonly problems: string[],
  ) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? [`ほか ${problems.length - shown.length} 件`] : [];
    super(
      [
        `指定難病の一覧を取り込めません（${problems.length} 件の問題、何も書き込んでいません）:`,
        ...shown,
        ...more,
      ].join('\n  '),
    );
    this.name = 'DesignatedDiseaseListError';
  }
}

interface CsvRow {
  /** The physical line the row starts on (1-based, the header is line 1). */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: fields separated by commas, rows by CRLF, LF or CR; a field in double quotes may hold commas, line
 * breaks and doubled quotes. A byte-order mark is dropped, blank lines are skipped, and space around a quoted field
 * is allowed (every field is trimmed afterwards anyway). A stray quote is a problem of its row.
 */
function parseCsv(text: string, file: string, problems: string[]): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false; // inside a quoted field
  let closed = false; // after the closing quote of a field
  let broken = false; // this row already has a problem
  const endField = () => {
    fields.push(field);
    field = '';
    closed = false;
  };
  const endRow = () => {
    endField();
    const blank = fields.length === 1 && fields[0]!.trim() === '';
    if (!broken && !blank) rows.push({ line: rowLine, fields });
    fields = [];
    broken = false;
    rowLine = line;
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        closed = true;
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === ',') {
      endField();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRow();
    } else if (c === '"' && !closed && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (closed ? !/\s/.test(c) : c === '"') {
      if (!broken) problems.push(`${file} ${line}行目: 引用符 (") の位置が正しくありません`);
      broken = true;
    } else if (!closed) {
      field += c;
    }
  }
  if (quoted) problems.push(`${file} ${rowLine}行目: 引用符 (") が閉じられていません`);
  else if (field !== '' || fields.length > 0) endRow();
  return rows;
}

/** The data rows of a two-column file with NFKC-normalised, trimmed fields; the header row is checked and dropped. */
function twoColumnRows(text: string, file: string, header: [string, string], problems: string[]) {
  const rows = parseCsv(text, file, problems).map((r) => ({
    line: r.line,
    fields: r.fields.map((f) => f.normalize('NFKC').trim()),
  }));
  const first = rows.shift();
  if (!first) {
    problems.push(`${file}: 中身がありません`);
    return [];
  }
  if (first.fields.join(',').toLowerCase() !== header.join(',')) {
    problems.push(`${file} ${first.line}行目: 見出し行が "${header.join(',')}" ではありません`);
  }
  return rows.filter((r) => {
    if (r.fields.length === 2) return true;
    problems.push(`${file} ${r.line}行目: 列の数が 2 ではありません（${r.fields.length} 列）`);
    return false;
  }) as { line: number; fields: [string, string] }[];
}

function diseaseNumber(raw: string, where: string, problems: string[]): number | undefined {
  if (!/^[0-9]+$/.test(raw)) {
    problems.push(`${where}: 番号が整数ではありません（"${raw}"）`);
    return undefined;
  }
  const n = Number(raw);
  if (n < 1 || n > DESIGNATED_DISEASE_NUMBER_MAX) {
    problems.push(`${where}: 番号が範囲外です（${n}、1〜${DESIGNATED_DISEASE_NUMBER_MAX}）`);
    return undefined;
  }
  return n;
}

/**
 * Parses and checks the two files' text. Every field is NFKC-normalised (full-width letters and digits become
 * ASCII: ＩｇＡ → IgA) and trimmed. Throws a DesignatedDiseaseListError listing every problem, each with its file and
 * line; returns the diseases by number, groups sorted and deduplicated.
 */
export function parseDesignatedDiseaseList(
  text: { names: string; groups: string },
  files: { names: string; groups: string } = DESIGNATED_DISEASE_FILES,
): DesignatedDisease[] {
  const problems: string[] = [];
  const diseases = new Map<number, DesignatedDisease>();
  // The line of each number in the name file, also of rows refused for their name (a group row naming one is fine).
  const namedOn = new Map<number, number>();
  for (const { line, fields } of twoColumnRows(text.names, files.names, ['no', 'name'], problems)) {
    const where = `${files.names} ${line}行目`;
    const [rawNumber, name] = fields;
    const number = diseaseNumber(rawNumber, where, problems);
    if (number === undefined) continue;
    if (namedOn.has(number)) {
      problems.push(`${where}: 番号 ${number} が重複しています（${namedOn.get(number)}行目と同じ）`);
      continue;
    }
    namedOn.set(number, line);
    if (!name) problems.push(`${where}: 名称が空です`);
    else if (!isPlainLine(name)) problems.push(`${where}: 名称に改行や制御文字が含まれています`);
    // In code points, as the table's char_length() counts.
    else if ([...name].length > NAME_MAX) problems.push(`${where}: 名称が ${NAME_MAX} 文字を超えています`);
    else diseases.set(number, { number, name, groups: [] });
  }
  if (namedOn.size === 0 && problems.length === 0) problems.push(`${files.names}: 番号と名称の行がありません`);

  for (const { line, fields } of twoColumnRows(text.groups, files.groups, ['no', 'group'], problems)) {
    const where = `${files.groups} ${line}行目`;
    const [rawNumber, group] = fields;
    const number = diseaseNumber(rawNumber, where, problems);
    if (number === undefined) continue;
    if (!namedOn.has(number)) problems.push(`${where}: 番号 ${number} は ${files.names} にありません`);
    else if (!group) problems.push(`${where}: 疾患群が空です`);
    else if (!isPlainLine(group)) problems.push(`${where}: 疾患群に改行や制御文字が含まれています`);
    else diseases.get(number)?.groups.push(group);
  }

  if (problems.length > 0) throw new DesignatedDiseaseListError('malformed', problems);
  return [...diseases.values()]
    .sort((a, b) => a.number - b.number)
    .map(({ number, name, groups }) => ({ number, name, groups: [...new Set(groups)].sort() }));
}

/** Reads the two files from `dir` (strict UTF-8) and parses them; every missing file is named at once. */
export async function readDesignatedDiseaseList(dir: string): Promise<DesignatedDisease[]> {
  const problems: string[] = [];
  const read = async (file: string) => {
    const path = join(dir, file);
    try {
      return await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `ファイルがありません: ${path}` : `ファイルを読めません: ${path}（${code}）`);
      return undefined;
    }
  };
  const names = await read(DESIGNATED_DISEASE_FILES.names);
  const groups = await read(DESIGNATED_DISEASE_FILES.groups);
  if (!names || !groups) throw new DesignatedDiseaseListError('missing-file', problems);

  // Fatal decoding: a Shift_JIS export would otherwise be stored as mojibake.
  const decode = (bytes: Buffer, file: string) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      problems.push(`${file}: UTF-8 として読めません（Shift_JIS などは UTF-8 に変換してください）`);
      return '';
    }
  };
  const text = {
    names: decode(names, DESIGNATED_DISEASE_FILES.names),
    groups: decode(groups, DESIGNATED_DISEASE_FILES.groups),
  };
  if (problems.length > 0) throw new DesignatedDiseaseListError('malformed', problems);
  return parseDesignatedDiseaseList(text);
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Upserts the list by number in one transaction, as the owner role: a DataSource of it, or its URL (then over a
 * connection of its own, closed afterwards). A row whose name and groups are unchanged is not touched (its
 * effective_on and imported_at stay), so a re-run changes nothing. A changed or new row gets the list's effective
 * date and the import time: effective_on says since when the row reads as it does. Stored numbers the list lacks
 * are kept and reported. A change dated before the row's own effective_on is refused (an older list must not undo
 * a rename), and then nothing is written.
 */
export async function importDesignatedDiseases(
  owner: DataSource | string,
  list: readonly DesignatedDisease[],
  opts: { effectiveOn: string },
): Promise<DesignatedDiseaseImportSummary> {
  const { effectiveOn } = opts;
  if (!isIsoDate(effectiveOn)) {
    throw new DesignatedDiseaseListError('malformed', [`施行日が YYYY-MM-DD の日付ではありません: ${effectiveOn}`]);
  }
  if (typeof owner === 'string') {
    const ds = createDataSource({ url: owner, poolSize: 1, applicationName: 'tasuki-reference-import' });
    await ds.initialize();
    try {
      return await importDesignatedDiseases(ds, list, opts);
    } finally {
      await ds.destroy();
    }
  }
  return owner.transaction(async (tx) => {
    // Conflicts with itself, not with readers: concurrent imports take turns, and what is compared below is what
    // the upsert overwrites.
    await tx.query('LOCK TABLE designated_diseases IN SHARE ROW EXCLUSIVE MODE');
    const stored = await queryRows<{ number: number; name: string; groups: string[]; effective_on: string }>(
      tx,
      'SELECT number, name, groups, effective_on::text AS effective_on FROM designated_diseases',
    );
    const byNumber = new Map(stored.map((r) => [r.number, r]));
    const changed: DesignatedDisease[] = [];
    const older: string[] = [];
    let inserted = 0;
    let unchanged = 0;
    for (const d of list) {
      const row = byNumber.get(d.number);
      if (row && row.name === d.name && sameList(row.groups, d.groups)) {
        unchanged++;
        continue;
      }
      if (!row) inserted++;
      else if (row.effective_on > effectiveOn) {
        older.push(
          `番号 ${d.number}: ${row.effective_on} 施行の内容を ${effectiveOn} 施行の一覧で戻すことはできません`,
        );
      }
      changed.push(d);
    }
    if (older.length > 0) throw new DesignatedDiseaseListError('older-list', older);
    if (changed.length > 0) {
      await tx.query(
        `INSERT INTO designated_diseases (number, name, groups, effective_on, imported_at)
         SELECT d.number, d.name, d.groups, $2::date, now()
           FROM jsonb_to_recordset($1::jsonb) AS d(number integer, name text, groups text[])
         ON CONFLICT (number) DO UPDATE
           SET name = EXCLUDED.name, groups = EXCLUDED.groups,
               effective_on = EXCLUDED.effective_on, imported_at = EXCLUDED.imported_at`,
        [JSON.stringify(changed), effectiveOn],
      );
    }
    const listed = new Set(list.map((d) => d.number));
    const keptMissingNumbers = stored
      .map((r) => r.number)
      .filter((n) => !listed.has(n))
      .sort((a, b) => a - b);
    return {
      inserted,
      updated: changed.length - inserted,
      unchanged,
      keptMissing: keptMissingNumbers.length,
      keptMissingNumbers,
    };
  });
}

/** The summary as the one line the command prints. */
export function describeImportSummary(s: DesignatedDiseaseImportSummary, effectiveOn: string): string {
  const kept = s.keptMissing > 0 ? `（番号 ${s.keptMissingNumbers.join(', ')}）` : '';
  return (
    `指定難病の一覧（${effectiveOn} 施行）を取り込みました: 追加 ${s.inserted} 件、更新 ${s.updated} 件、` +
    `変更なし ${s.unchanged} 件、ファイルにないため保持 ${s.keptMissing} 件${kept}`
  );
}
