/**
 * Cell suppression for the aggregate tables of the anonymized export (PRODUCT.md §3, issue 6 item 3): every count
 * from 1 to 9 is suppressed (primary suppression), then further cells are suppressed until no suppressed cell can be
 * derived from the published cells and the tables' sums (complementary suppression).
 *
 * The tables of one measure are linked: each is a two-way table of counts with its row totals, column totals and
 * grand total, and a cell of one table may be the very same number as a cell of another (the fiscal-year totals of
 * "new clients by year × region" and "by year × certificate", the grand total of all of them). Cells are therefore
 * identified by their key — the dimension values they are restricted to — and suppressed or published as one across
 * the tables. Each row and each column of each table is a line: its total equals the sum of its parts.
 *
 * The heuristic, iterated to a fixed point:
 * 1. in every line with exactly one suppressed cell (part or total), suppress one more: a published non-zero part,
 *    else the line's total, else a zero part — among them first one whose other lines already hide a cell (the
 *    fourth corner of a rectangle, which leaves no new line with a single hidden cell), then the smallest;
 * 2. when no line has exactly one, solve the lines as linear equations over the suppressed cells: a suppressed cell
 *    that the equations determine (its unit vector is in the equations' row space) is derivable, however many lines
 *    it takes — two blocks of suppressed cells joined by a single cell in one table, or a cell pinned down through a
 *    shared total of another table. For the first such cell, suppress the smallest published cell of its lines
 *    (or of the family, when its lines have none left) and go back to 1.
 * Each round suppresses one more cell, so it ends; with everything suppressed nothing is derivable.
 *
 * Zero counts are published (a zero is no person). Nothing here knows what the counts are about.
 */

/** Counts from 1 to MIN_PUBLISHED_COUNT − 1 are never published. */
export const MIN_PUBLISHED_COUNT = 10;

/** The label of the totals row and column. */
export const TOTAL_LABEL = '合計';

export interface CountTableInput {
  name: string;
  /** Cells of tables with the same dimension values and the same measure are the same cell. */
  rowDimension: string;
  columnDimension: string;
  rows: readonly string[];
  columns: readonly string[];
  /** Interior counts, rows × columns (non-negative integers). */
  counts: readonly (readonly number[])[];
}

/**
 * A table with its margins: (rows + 1) × (columns + 1) cells, the row totals in the last column, the column totals
 * in the last row, the grand total in the corner. null: suppressed.
 */
export interface SuppressedTable {
  name: string;
  rowDimension: string;
  columnDimension: string;
  rows: string[];
  columns: string[];
  cells: (number | null)[][];
  /** How many of the cells (margins included) are suppressed. */
  suppressedCells: number;
}

interface Line {
  total: number;
  parts: number[];
}

/** A cell's key: its dimension values, in dimension-name order. */
function cellKey(values: readonly (readonly [string, string])[]): string {
  return JSON.stringify([...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Suppresses the cells of a family of linked tables (one measure); returns the tables with their margins. */
export function suppressLinkedTables(
  tables: readonly CountTableInput[],
  threshold = MIN_PUBLISHED_COUNT,
): SuppressedTable[] {
  const index = new Map<string, number>();
  const values: number[] = [];
  const cell = (key: string, value: number) => {
    let i = index.get(key);
    if (i === undefined) {
      i = values.push(value) - 1;
      index.set(key, i);
    } else if (values[i] !== value) {
      throw new Error(`linked tables disagree on ${key}: ${values[i]} and ${value}`);
    }
    return i;
  };
  const lines: Line[] = [];
  const grids = tables.map((t) => {
    if (t.rowDimension === t.columnDimension) throw new Error(`table ${t.name}: one dimension twice`);
    const R = t.rows.length;
    const C = t.columns.length;
    const count = (r: number, c: number) => {
      const v = t.counts[r]?.[c];
      if (v === undefined || !Number.isInteger(v) || v < 0) throw new Error(`table ${t.name}: bad count at ${r},${c}`);
      return v;
    };
    // Index R is the margin: the row (column) of totals sums every row (column).
    const span = (i: number, n: number) => (i < n ? [i] : Array.from({ length: n }, (_, j) => j));
    const grid: number[][] = [];
    for (let r = 0; r <= R; r++) {
      const row: number[] = [];
      for (let c = 0; c <= C; c++) {
        const dims: [string, string][] = [];
        if (r < R) dims.push([t.rowDimension, t.rows[r]!]);
        if (c < C) dims.push([t.columnDimension, t.columns[c]!]);
        let value = 0;
        for (const i of span(r, R)) for (const j of span(c, C)) value += count(i, j);
        row.push(cell(cellKey(dims), value));
      }
      grid.push(row);
    }
    for (let r = 0; r <= R; r++) lines.push({ total: grid[r]![C]!, parts: grid[r]!.slice(0, C) });
    for (let c = 0; c <= C; c++) lines.push({ total: grid[R]![c]!, parts: grid.slice(0, R).map((row) => row[c]!) });
    return grid;
  });

  const suppressed = values.map((v) => v >= 1 && v < threshold);
  const linesOf: Line[][] = values.map(() => []);
  for (const line of lines) for (const i of new Set([...line.parts, line.total])) linesOf[i]!.push(line);
  const hiddenIn = (line: Line) => [...line.parts, line.total].filter((i) => suppressed[i]).length;
  /**
   * The order of the candidates for the next suppression, when fixing `line`: first those that leave no other line
   * with a single suppressed cell (a cell whose other lines already hide one, as the fourth corner of a rectangle),
   * then non-zero before zero, then the smallest, then the first.
   */
  const rank = (i: number, line: Line | null) => [
    linesOf[i]!.filter((l) => l !== line && hiddenIn(l) === 0).length,
    values[i]! > 0 ? 0 : 1,
    values[i]!,
    i,
  ];
  const best = (candidates: readonly number[], line: Line | null) => {
    let pick = -1;
    let pickRank: number[] = [];
    for (const i of candidates) {
      if (suppressed[i]) continue;
      const r = rank(i, line);
      if (pick < 0 || lexicographicallyBefore(r, pickRank)) {
        pick = i;
        pickRank = r;
      }
    }
    return pick;
  };

  for (;;) {
    // 1. Lines with exactly one suppressed cell, to a fixed point: a published part first, the total only when
    // every other part is zero or hidden.
    let changed = true;
    while (changed) {
      changed = false;
      for (const line of lines) {
        if (hiddenIn(line) !== 1) continue;
        const nonZero = best(
          line.parts.filter((i) => values[i]! > 0),
          line,
        );
        const pick = nonZero >= 0 ? nonZero : !suppressed[line.total] ? line.total : best(line.parts, line);
        if (pick < 0) continue; // a line whose only other member is itself (cannot happen with margins)
        suppressed[pick] = true;
        changed = true;
      }
    }
    // 2. A suppressed cell the lines determine together.
    const derivable = determinedCells(lines, suppressed);
    if (derivable.length === 0) break;
    let pick = best(
      linesOf[derivable[0]!]!.flatMap((l) => [...l.parts, l.total]),
      null,
    );
    if (pick < 0)
      pick = best(
        values.map((_, i) => i),
        null,
      );
    if (pick < 0) break; // everything is suppressed
    suppressed[pick] = true;
  }

  return tables.map((t, n) => {
    const cells = grids[n]!.map((row) => row.map((i) => (suppressed[i] ? null : values[i]!)));
    return {
      name: t.name,
      rowDimension: t.rowDimension,
      columnDimension: t.columnDimension,
      rows: [...t.rows, TOTAL_LABEL],
      columns: [...t.columns, TOTAL_LABEL],
      cells,
      suppressedCells: cells.flat().filter((v) => v === null).length,
    };
  });
}

function lexicographicallyBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! < b[k]!;
  return false;
}

const EPSILON = 1e-9;

/**
 * The suppressed cells the lines determine: Gauss–Jordan elimination of the lines' equations over the suppressed
 * cells (the published ones are constants and drop out). A cell is determined exactly when its column is a pivot
 * whose reduced row has no other non-zero entry. The coefficients are 0 and ±1 and stay small, so doubles are exact
 * enough; the tests' checker does the same in exact rational arithmetic.
 */
function determinedCells(lines: readonly Line[], suppressed: readonly boolean[]): number[] {
  const unknowns: number[] = [];
  const column = new Map<number, number>();
  suppressed.forEach((s, i) => {
    if (s) column.set(i, unknowns.push(i) - 1);
  });
  const n = unknowns.length;
  if (n === 0) return [];
  const matrix: Float64Array[] = [];
  for (const line of lines) {
    const row = new Float64Array(n);
    let any = false;
    for (const p of line.parts) {
      const c = column.get(p);
      if (c !== undefined) {
        row[c]! += 1;
        any = true;
      }
    }
    const t = column.get(line.total);
    if (t !== undefined) {
      row[t]! -= 1;
      any = true;
    }
    if (any) matrix.push(row);
  }
  const pivotRowOf = new Int32Array(n).fill(-1);
  let rank = 0;
  for (let c = 0; c < n && rank < matrix.length; c++) {
    let best = -1;
    for (let r = rank; r < matrix.length; r++) {
      if (Math.abs(matrix[r]![c]!) > EPSILON && (best < 0 || Math.abs(matrix[r]![c]!) > Math.abs(matrix[best]![c]!))) {
        best = r;
      }
    }
    if (best < 0) continue;
    [matrix[rank], matrix[best]] = [matrix[best]!, matrix[rank]!];
    const pivot = matrix[rank]!;
    const scale = pivot[c]!;
    for (let j = 0; j < n; j++) pivot[j]! /= scale;
    for (let r = 0; r < matrix.length; r++) {
      if (r === rank) continue;
      const row = matrix[r]!;
      const f = row[c]!;
      if (Math.abs(f) <= EPSILON) continue;
      for (let j = 0; j < n; j++) row[j]! -= f * pivot[j]!;
    }
    pivotRowOf[c] = rank++;
  }
  const out: number[] = [];
  for (let c = 0; c < n; c++) {
    const r = pivotRowOf[c]!;
    if (r < 0) continue;
    const row = matrix[r]!;
    let alone = true;
    for (let j = 0; j < n && alone; j++) if (j !== c && Math.abs(row[j]!) > EPSILON) alone = false;
    if (alone) out.push(unknowns[c]!);
  }
  return out;
}
