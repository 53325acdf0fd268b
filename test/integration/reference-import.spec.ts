import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import {
  assertDesignatedDiseaseNumbers,
  DESIGNATED_DISEASE_FILES,
  DesignatedDiseaseListError,
  importDesignatedDiseases,
  parseDesignatedDiseaseList,
  readDesignatedDiseaseList,
  type DesignatedDisease,
} from '@tasuki/domain';
import { createDataSource, Database } from '@tasuki/platform';
import { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

/**
 * The 指定難病 importer: the CSV format of ../shared/reference (BOM, full-width letters, trailing spaces, CRLF,
 * quoted fields, several groups per number), refusals that name file and line and write nothing, an idempotent
 * upsert by number as the owner role, and the validation the application role does against what was imported.
 */

const REAL_REFERENCE = join(process.cwd(), '..', 'shared', 'reference');
const withRealFiles = existsSync(join(REAL_REFERENCE, DESIGNATED_DISEASE_FILES.names)) ? it : it.skip;
const CLI = resolve(process.cwd(), 'dist/apps/cli/src/import-reference.js');

const tempDirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A folder holding the two files, written exactly as given (BOM and line endings included). */
function referenceDir(names: string, groups: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasuki-reference-'));
  tempDirs.push(dir);
  writeFileSync(join(dir, DESIGNATED_DISEASE_FILES.names), names);
  writeFileSync(join(dir, DESIGNATED_DISEASE_FILES.groups), groups);
  return dir;
}

// The quirks of the real files and of CSV in general: a BOM, CRLF, full-width letters and digits, trailing spaces
// (also inside quotes), a quoted name with a comma and a doubled quote, several groups for one number (one twice).
const NAMES = [
  '\uFEFFno,name',
  '1,球脊髄性筋萎縮症',
  '2,"筋萎縮性側索硬化症 "',
  '３,"名称, カンマと""引用符"""',
  '66,ＩｇＡ 腎症  ',
  '',
].join('\r\n');
const GROUPS = [
  '\uFEFFno,group',
  '1,神経・筋疾患',
  '2,神経・筋疾患 ',
  '3,神経・筋疾患',
  '3,代謝疾患',
  '3,神経・筋疾患',
  '66,腎・泌尿器疾患',
  '',
].join('\r\n');
const FIXTURE: DesignatedDisease[] = [
  { number: 1, name: '球脊髄性筋萎縮症', groups: ['神経・筋疾患'] },
  { number: 2, name: '筋萎縮性側索硬化症', groups: ['神経・筋疾患'] },
  { number: 3, name: '名称, カンマと"引用符"', groups: ['代謝疾患', '神経・筋疾患'] },
  { number: 66, name: 'IgA 腎症', groups: ['腎・泌尿器疾患'] },
];

/** The problems of a refused list (failing the test when the list is accepted). */
function problemsOf(names: string, groups = 'no,group\n'): string[] {
  try {
    parseDesignatedDiseaseList({ names, groups });
  } catch (err) {
    expect(err).toBeInstanceOf(DesignatedDiseaseListError);
    expect((err as DesignatedDiseaseListError).reason).toBe('malformed');
    return (err as DesignatedDiseaseListError).problems;
  }
  throw new Error('the list was accepted');
}

describe('parsing the reference files', () => {
  it('strips the BOM, NFKC-normalises and trims every field, reads CRLF and quoted fields, sorts and merges groups', () => {
    expect(parseDesignatedDiseaseList({ names: NAMES, groups: GROUPS })).toEqual(FIXTURE);
  });

  it('reads LF and CR line endings, space around quoted fields, and skips blank lines', () => {
    const names = 'no,name\n1, "A" \r\r2,B\n\n';
    expect(parseDesignatedDiseaseList({ names, groups: 'no,group\r2,X' })).toEqual([
      { number: 1, name: 'A', groups: [] },
      { number: 2, name: 'B', groups: ['X'] },
    ]);
  });

  it.each([
    ['a number that is not an integer', '1,A\nx,B\n', 'intractable_disease.csv 3行目: 番号が整数ではありません（"x"）'],
    ['a decimal number', '1.5,A\n', 'intractable_disease.csv 2行目: 番号が整数ではありません'],
    ['number 0', '0,A\n', 'intractable_disease.csv 2行目: 番号が範囲外です'],
    ['number 10000', '1,A\n10000,B\n', 'intractable_disease.csv 3行目: 番号が範囲外です'],
    ['an empty name', '1,A\n2,  \n', 'intractable_disease.csv 3行目: 名称が空です'],
    ['a duplicate number', '1,A\n2,B\n１,C\n', 'intractable_disease.csv 4行目: 番号 1 が重複しています（2行目と同じ）'],
    ['a third column', '1,A,x\n', 'intractable_disease.csv 2行目: 列の数が 2 ではありません'],
    ['a stray quote', '1,A"B\n', 'intractable_disease.csv 2行目: 引用符'],
    ['a quote left open', '1,A\n2,"B\n3,C\n', 'intractable_disease.csv 3行目: 引用符 (") が閉じられていません'],
    ['a line break in a name', '1,"A\nB"\n', 'intractable_disease.csv 2行目: 名称に改行'],
  ])('refuses %s, naming the file and line', (_what, rows, expected) => {
    expect(problemsOf(`no,name\n${rows}`).join('\n')).toContain(expected);
  });

  it('counts the lines a quoted line break spans', () => {
    expect(problemsOf('no,name\n1,"A\nB"\n2,C\nx,D\n')).toContain(
      'intractable_disease.csv 5行目: 番号が整数ではありません（"x"）',
    );
  });

  it('refuses a missing header, an empty name file, and group rows naming an absent number or no group', () => {
    expect(problemsOf('1,A\n2,B\n')).toEqual(['intractable_disease.csv 1行目: 見出し行が "no,name" ではありません']);
    expect(problemsOf('')).toEqual(['intractable_disease.csv: 中身がありません']);
    expect(problemsOf('no,name\n')).toEqual(['intractable_disease.csv: 番号と名称の行がありません']);
    expect(problemsOf('no,name\n1,A\n', 'no,group\n1,X\n5,Y\n1,\n')).toEqual([
      'intractable_disease_groups.csv 3行目: 番号 5 は intractable_disease.csv にありません',
      'intractable_disease_groups.csv 4行目: 疾患群が空です',
    ]);
  });

  it('lists every problem of both files in one error', () => {
    const err = (() => {
      try {
        parseDesignatedDiseaseList({ names: 'no,name\nx,A\n2,\n', groups: 'no,group\n9,X\n' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/^指定難病の一覧を取り込めません（3 件の問題、何も書き込んでいません）/);
    for (const line of ['intractable_disease.csv 2行目', 'intractable_disease.csv 3行目', 'groups.csv 2行目']) {
      expect(err?.message).toContain(line);
    }
  });

  it('names every missing file, and refuses a file that is not UTF-8', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tasuki-reference-'));
    tempDirs.push(empty);
    await expect(readDesignatedDiseaseList(empty)).rejects.toMatchObject({
      reason: 'missing-file',
      problems: [
        `ファイルがありません: ${join(empty, DESIGNATED_DISEASE_FILES.names)}`,
        `ファイルがありません: ${join(empty, DESIGNATED_DISEASE_FILES.groups)}`,
      ],
    });
    const dir = referenceDir('no,name\n1,A\n', 'no,group\n1,X\n');
    writeFileSync(join(dir, DESIGNATED_DISEASE_FILES.names), Buffer.from([0x31, 0x2c, 0x93, 0xef, 0x0a])); // Shift_JIS
    await expect(readDesignatedDiseaseList(dir)).rejects.toThrow('intractable_disease.csv: UTF-8 として読めません');
  });
});

interface Stored {
  number: number;
  name: string;
  groups: string[];
  effective_on: string;
  imported_at: Date;
}

describe('importing into PostgreSQL', () => {
  /** A database of its own, with a DataSource as the owner and the application role's Database. */
  async function database(): Promise<{ db: TestDatabase; owner: DataSource; app: Database; appDs: DataSource }> {
    const db = await createTestDatabase();
    const owner = createDataSource({ url: db.ownerUrl, poolSize: 2, applicationName: 'test-reference-owner' });
    const appDs = createDataSource({ url: db.appUrl, poolSize: 2, applicationName: 'test-reference-app' });
    await owner.initialize();
    await appDs.initialize();
    cleanups.push(async () => {
      await owner.destroy();
      await appDs.destroy();
      await db.drop();
    });
    return { db, owner, app: new Database(appDs), appDs };
  }

  const stored = async (db: TestDatabase): Promise<Stored[]> =>
    (
      await db.owner.query(
        'SELECT number, name, groups, effective_on::text AS effective_on, imported_at FROM designated_diseases ORDER BY number',
      )
    ).rows;

  /** assertDesignatedDiseaseNumbers as the service runs it: the application role, in a transaction. */
  const check = (app: Database, numbers: number[]) =>
    app.run({ orgId: null, userId: null }, (tx) => assertDesignatedDiseaseNumbers(tx, 'diseaseNumbers', numbers));

  it('imports once, then a second run with the same files changes nothing', async () => {
    const { db, owner } = await database();
    const list = await readDesignatedDiseaseList(referenceDir(NAMES, GROUPS));
    expect(await importDesignatedDiseases(owner, list, { effectiveOn: '2025-04-01' })).toEqual({
      inserted: 4,
      updated: 0,
      unchanged: 0,
      keptMissing: 0,
      keptMissingNumbers: [],
    });
    const first = await stored(db);
    expect(first.map(({ imported_at: _, ...row }) => row)).toEqual(
      FIXTURE.map((d) => ({ ...d, effective_on: '2025-04-01' })),
    );

    expect(await importDesignatedDiseases(owner, list, { effectiveOn: '2025-04-01' })).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 4,
      keptMissing: 0,
      keptMissingNumbers: [],
    });
    expect(await stored(db)).toEqual(first); // imported_at included
  });

  it('renames by number, adds new numbers, keeps and reports numbers a newer list lacks, and refuses to go back', async () => {
    const { db, owner } = await database();
    await importDesignatedDiseases(owner, FIXTURE, { effectiveOn: '2025-04-01' });
    const before = await stored(db);
    const newer: DesignatedDisease[] = [
      FIXTURE[0]!,
      { ...FIXTURE[2]!, groups: ['代謝疾患'] },
      { number: 66, name: 'IgA腎症（改称）', groups: ['腎・泌尿器疾患'] },
      { number: 349, name: '新しい指定難病', groups: ['神経・筋疾患'] },
    ];
    expect(await importDesignatedDiseases(owner, newer, { effectiveOn: '2026-04-01' })).toEqual({
      inserted: 1,
      updated: 2,
      unchanged: 1,
      keptMissing: 1,
      keptMissingNumbers: [2],
    });
    const after = await stored(db);
    expect(after.map((r) => [r.number, r.name, r.groups, r.effective_on])).toEqual([
      [1, '球脊髄性筋萎縮症', ['神経・筋疾患'], '2025-04-01'],
      [2, '筋萎縮性側索硬化症', ['神経・筋疾患'], '2025-04-01'],
      [3, '名称, カンマと"引用符"', ['代謝疾患'], '2026-04-01'],
      [66, 'IgA腎症（改称）', ['腎・泌尿器疾患'], '2026-04-01'],
      [349, '新しい指定難病', ['神経・筋疾患'], '2026-04-01'],
    ]);
    // Untouched rows keep their import time; written rows get a later one.
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[3]!.imported_at.getTime()).toBeGreaterThan(before[3]!.imported_at.getTime());

    // The older list would turn the rename back: refused as a whole, nothing written.
    const older = importDesignatedDiseases(owner, FIXTURE, { effectiveOn: '2025-04-01' });
    await expect(older).rejects.toMatchObject({ reason: 'older-list' });
    await expect(older).rejects.toThrow('番号 66: 2026-04-01 施行の内容を 2025-04-01 施行の一覧で戻すことはできません');
    expect(await stored(db)).toEqual(after);
  });

  it('writes nothing when the files are malformed, or when the database refuses one row', async () => {
    const { db, owner } = await database();
    await importDesignatedDiseases(owner, FIXTURE, { effectiveOn: '2025-04-01' });
    const before = await stored(db);

    const bad = referenceDir(NAMES.replace('ＩｇＡ 腎症', ''), GROUPS.replace('66,', '67,'));
    const attempt = readDesignatedDiseaseList(bad).then((list) =>
      importDesignatedDiseases(owner, list, { effectiveOn: '2026-04-01' }),
    );
    await expect(attempt).rejects.toThrow('intractable_disease.csv 5行目: 名称が空です');
    await expect(attempt).rejects.toThrow('intractable_disease_groups.csv 7行目: 番号 67 は');

    // Past the parser (called from code): the second row breaks the table's CHECK, so the first is not kept either.
    const tooLong = [
      { number: 5, name: '五', groups: [] },
      { number: 6, name: 'x'.repeat(301), groups: [] },
    ];
    await expect(importDesignatedDiseases(owner, tooLong, { effectiveOn: '2026-04-01' })).rejects.toThrow();
    await expect(importDesignatedDiseases(owner, FIXTURE, { effectiveOn: '2026-02-30' })).rejects.toThrow(
      '施行日が YYYY-MM-DD の日付ではありません',
    );
    expect(await stored(db)).toEqual(before);
  });

  it('validates numbers as the application role: 1–348 before any import, then only the imported list', async () => {
    const { owner, app, appDs } = await database();
    await expect(check(app, [348, 1])).resolves.toEqual([1, 348]);
    await expect(check(app, [349])).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'diseaseNumbers',
      message: '指定難病の一覧にない番号です: 349',
    });

    // The application role may read the list but never write it: importing is the owner's.
    await expect(importDesignatedDiseases(appDs, FIXTURE, { effectiveOn: '2025-04-01' })).rejects.toThrow(
      /permission denied/,
    );

    await importDesignatedDiseases(owner, FIXTURE, { effectiveOn: '2025-04-01' });
    await expect(check(app, [66, 3, 1])).resolves.toEqual([1, 3, 66]);
    await expect(check(app, [1, 4, 348])).rejects.toMatchObject({ message: '指定難病の一覧にない番号です: 4, 348' });
  });

  withRealFiles('imports the real list: 348 diseases with their groups, names normalised', async () => {
    const { db, owner, app } = await database();
    const list = await readDesignatedDiseaseList(REAL_REFERENCE);
    expect(await importDesignatedDiseases(owner, list, { effectiveOn: '2025-04-01' })).toMatchObject({
      inserted: 348,
      updated: 0,
      keptMissing: 0,
    });
    const rows = await stored(db);
    expect(rows.map((r) => r.number)).toEqual(Array.from({ length: 348 }, (_, i) => i + 1));
    // SOURCE.md: 355 (number, group) rows over the 14 groups; every disease has at least one.
    expect(rows.reduce((n, r) => n + r.groups.length, 0)).toBe(355);
    expect(new Set(rows.flatMap((r) => r.groups)).size).toBe(14);
    expect(rows.filter((r) => r.groups.length === 0)).toEqual([]);
    const unclean = rows.filter((r) => r.name !== r.name.trim() || /[\uFF01-\uFF5E]/.test(r.name));
    expect(unclean).toEqual([]);
    expect(rows.find((r) => r.number === 66)?.name).toBe('IgA 腎症');
    expect(rows.find((r) => r.number === 250)?.name).toBe('グルタル酸血症2型');
    expect(rows.find((r) => r.number === 303)?.groups.length).toBeGreaterThan(1);

    await expect(check(app, [1, 348])).resolves.toEqual([1, 348]);
    await expect(check(app, [349])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  describe('npm run reference:import (the command, as a process of its own)', () => {
    const run = async (db: TestDatabase, args: string[]) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tasuki-reference-data-'));
      tempDirs.push(dataDir);
      const cli = new ServiceProcess(
        CLI,
        { NODE_ENV: 'test', DATABASE_URL: db.ownerUrl, DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        args,
      );
      try {
        const { code } = await cli.waitForExit(30_000);
        return { code, stdout: cli.stdout, stderr: cli.stderr };
      } finally {
        await cli.kill();
      }
    };

    it('imports the files it is pointed at and prints the summary in one line; bad input exits non-zero', async () => {
      const { db } = await database();
      const dir = referenceDir(NAMES, GROUPS);

      const first = await run(db, ['--dir', dir, '--effective-on', '2025-04-01']);
      expect(first).toMatchObject({ code: 0 });
      expect(first.stdout).toBe(
        '指定難病の一覧（2025-04-01 施行）を取り込みました: 追加 4 件、更新 0 件、変更なし 0 件、ファイルにないため保持 0 件\n',
      );
      expect(first.stderr).toContain('PostgreSQL: using DATABASE_URL'); // logs go to stderr, off the summary line
      expect((await stored(db)).map((r) => r.name)).toEqual(FIXTURE.map((d) => d.name));

      const again = await run(db, ['--dir', dir]); // the default effective date is the current list's
      expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('追加 0 件、更新 0 件、変更なし 4 件') });

      const malformed = await run(db, ['--dir', referenceDir('no,name\n1,A\nx,B\n', 'no,group\n')]);
      expect(malformed).toMatchObject({ code: 65, stdout: '' });
      expect(malformed.stderr).toContain('intractable_disease.csv 3行目: 番号が整数ではありません');

      const missing = await run(db, ['--dir', join(dir, 'absent')]);
      expect(missing).toMatchObject({ code: 66, stdout: '' });
      expect(missing.stderr).toContain(`ファイルがありません: ${join(dir, 'absent', DESIGNATED_DISEASE_FILES.names)}`);

      const badDate = await run(db, ['--dir', dir, '--effective-on', '2025-13-01']);
      expect(badDate).toMatchObject({ code: 64, stdout: '' });
      expect(badDate.stderr).toContain('--effective-on');

      expect(await run(db, ['--no-such-option'])).toMatchObject({ code: 64 });
      expect((await stored(db)).map((r) => r.name)).toEqual(FIXTURE.map((d) => d.name));
    }, 60_000);

    withRealFiles(
      'reads ../shared/reference beside the repository by default',
      async () => {
        const { db } = await database();
        const result = await run(db, []);
        expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('追加 348 件') });
        expect(await stored(db)).toHaveLength(348);
      },
      30_000,
    );
  });
});
