import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { suppressLinkedTables, type CountTableInput, type SuppressedTable } from '@tasuki/domain';
import { checkTableDisclosure, type PublishedCountTable } from '../harness/table-disclosure-checker.js';

/**
 * The aggregate tables' cell suppression, judged by the independent checker (test/harness/table-disclosure-checker.ts),
 * which tries to work out every suppressed cell from the published cells and the row and column totals of every table
 * of the measure: no published count from 1 to 9, and nothing suppressed can be derived.
 */

const published = (measure: string, tables: SuppressedTable[]): PublishedCountTable[] =>
  tables.map((t) => ({ measure, ...t }));

const table = (name: string, counts: number[][], dims: [string, string] = ['year', 'region']): CountTableInput => ({
  name,
  rowDimension: dims[0],
  columnDimension: dims[1],
  rows: counts.map((_, r) => `r${r}`),
  columns: counts[0]!.map((_, c) => `c${c}`),
  counts,
});

describe('complementary suppression of linked count tables', () => {
  it('suppresses a count under 10 and enough others that neither the row nor the column gives it away', () => {
    const [t] = suppressLinkedTables([
      table('t', [
        [3, 40, 25],
        [20, 30, 50],
        [15, 12, 60],
      ]),
    ]);
    expect(t!.cells[0]![0]).toBeNull();
    // The 3 is hidden by the smallest cells beside it, 25 in its row and 15 in its column, and the fourth corner
    // of that rectangle (60): every line then hides two cells or none.
    expect(t!.cells).toEqual([
      [null, 40, null, 68],
      [20, 30, 50, 100],
      [null, 12, null, 87],
      [38, 82, 135, 255],
    ]);
    expect(checkTableDisclosure(published('m', [t!]), 10)).toEqual([]);
  });

  it('publishes zeros and totals of 10 or more, and suppresses a small total', () => {
    const [t] = suppressLinkedTables([
      table('t', [
        [0, 0, 0],
        [10, 20, 30],
        [2, 3, 1],
      ]),
    ]);
    expect(t!.cells[0]).toEqual([0, 0, 0, 0]);
    // The row of 2, 3 and 1 (total 6) is hidden whole; each of its columns then needs a second hidden cell.
    expect(t!.cells[2]).toEqual([null, null, null, null]);
    expect(t!.cells.map((row) => row.filter((v) => v === null).length)).toEqual([0, 4, 4, 0]);
    expect(checkTableDisclosure(published('m', [t!]), 10)).toEqual([]);
  });

  it('the checker catches primary suppression alone, and a single cell joining two hidden blocks', () => {
    const naive: PublishedCountTable = {
      measure: 'm',
      name: 'naive',
      rowDimension: 'year',
      columnDimension: 'region',
      rows: ['a', 'b', '合計'],
      columns: ['x', 'y', '合計'],
      cells: [
        [null, 40, 43],
        [20, 30, 50],
        [23, 70, 93],
      ],
    };
    expect(checkTableDisclosure([naive], 10)).toEqual(['m{region=x,year=a} is suppressed but derivable: 3']);
    // Every line has two suppressed cells or none, yet the middle cell is a bridge: the rows of the first block
    // minus its columns leave exactly it.
    const bridge: PublishedCountTable = {
      measure: 'm',
      name: 'bridge',
      rowDimension: 'year',
      columnDimension: 'region',
      rows: ['a', 'b', 'c', 'd', '合計'],
      columns: ['w', 'x', 'y', 'z', '合計'],
      cells: [
        [null, null, 50, 50, 111],
        [null, null, null, 50, 69],
        [50, 50, null, null, 105],
        [50, 50, null, null, 110],
        [112, 114, 66, 103, 395],
      ],
    };
    expect(checkTableDisclosure([bridge], 10)).toEqual(['m{region=y,year=b} is suppressed but derivable: 4']);
  });

  it('closes a bridge that the line rule alone would leave open', () => {
    // Primary cells in two 2 × 2 blocks and one between them: lines alone stop with the middle cell derivable.
    const counts = [
      [5, 6, 50, 50],
      [7, 8, 4, 50],
      [50, 50, 3, 2],
      [50, 50, 9, 1],
    ];
    const [t] = suppressLinkedTables([table('t', counts)]);
    expect(checkTableDisclosure(published('m', [t!]), 10)).toEqual([]);
  });

  it('keeps a total shared by two tables suppressed in both, and nothing derivable across them', () => {
    // year × region and year × certificate of the same people: the year totals are the same cells.
    const byRegion = [
      [30, 2, 40],
      [25, 25, 25],
    ];
    const byCertificate = [
      [50, 22],
      [60, 15],
    ];
    const tables = suppressLinkedTables([
      table('region', byRegion, ['year', 'region']),
      table('certificate', byCertificate, ['year', 'certificate']),
    ]);
    const yearTotals = tables.map((t) => t.cells.map((row) => row[row.length - 1]));
    expect(yearTotals[0]).toEqual(yearTotals[1]);
    expect(checkTableDisclosure(published('m', tables), 10)).toEqual([]);
  });

  it('refuses linked tables that disagree on a shared cell', () => {
    expect(() =>
      suppressLinkedTables([table('a', [[10, 20]], ['year', 'region']), table('b', [[31]], ['year', 'certificate'])]),
    ).toThrow(/disagree/);
  });

  /** Skewed counts: many zeros and small counts, some large. */
  const count = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 9 }) },
    { weight: 3, arbitrary: fc.integer({ min: 10, max: 200 }) },
  );
  const cube = fc
    .record({
      years: fc.integer({ min: 1, max: 5 }),
      a: fc.integer({ min: 1, max: 6 }),
      b: fc.integer({ min: 1, max: 5 }),
    })
    .chain(({ years, a, b }) =>
      fc.array(fc.array(fc.array(count, { minLength: b, maxLength: b }), { minLength: a, maxLength: a }), {
        minLength: years,
        maxLength: years,
      }),
    );

  it('on random skewed families (year × A, year × B, A × B of one cube): nothing under 10, nothing derivable', () => {
    fc.assert(
      fc.property(cube, (x) => {
        const sum = (f: (y: number, a: number, b: number) => boolean) => {
          let s = 0;
          x.forEach((ya, y) => ya.forEach((ab, a) => ab.forEach((v, b) => (s += f(y, a, b) ? v : 0))));
          return s;
        };
        const Y = x.length;
        const A = x[0]!.length;
        const B = x[0]![0]!.length;
        const grid = (n: number, m: number, f: (i: number, j: number) => number) =>
          Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => f(i, j)));
        const tables = suppressLinkedTables([
          table(
            'yearA',
            grid(Y, A, (y, a) => sum((yy, aa) => yy === y && aa === a)),
            ['year', 'a'],
          ),
          table(
            'yearB',
            grid(Y, B, (y, b) => sum((yy, _, bb) => yy === y && bb === b)),
            ['year', 'b'],
          ),
          table(
            'ab',
            grid(A, B, (a, b) => sum((_, aa, bb) => aa === a && bb === b)),
            ['a', 'b'],
          ),
        ]);
        expect(checkTableDisclosure(published('m', tables), 10)).toEqual([]);
        // What is published is true.
        const truth = grid(Y + 1, A + 1, (y, a) => sum((yy, aa) => (y === Y || yy === y) && (a === A || aa === a)));
        tables[0]!.cells.forEach((row, y) => row.forEach((v, a) => v === null || expect(v).toBe(truth[y]![a])));
      }),
      { numRuns: 150 },
    );
  });
});
