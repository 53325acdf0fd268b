/**
 * An independent checker of published count tables with suppressed cells: it knows nothing of how the suppression
 * was chosen (it imports nothing from libs/domain/src/reporting) and plays the reader who has every published table
 * and knows that rows and columns add up to their totals. It reports published counts from 1 to threshold − 1,
 * published lines that do not add up, and every suppressed cell the reader can work out exactly — by one line with
 * one missing number, or by any combination of lines across the tables of one measure (exact rational Gauss–Jordan
 * elimination). Returns the problems found; none means the tables pass.
 *
 * The format it reads: each table's last row holds the column totals and its last column the row totals; a cell is
 * a count or null (suppressed). Tables of one measure share a cell when they restrict it to the same dimension
 * values (the year totals of "year × region" and of "year × certificate" are the same numbers).
 */

export interface PublishedCountTable {
  measure: string;
  name: string;
  rowDimension: string;
  columnDimension: string;
  rows: readonly string[];
  columns: readonly string[];
  cells: readonly (readonly (number | null)[])[];
}

/** An exact rational number, n / d with d > 0 and the fraction reduced. */
class Q {
  private constructor(
    readonly n: bigint,
    readonly d: bigint,
  ) {}
  static of(n: bigint, d = 1n): Q {
    if (d === 0n) throw new Error('division by zero');
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n < 0n ? -n : n, d);
    return new Q(n / g, d / g);
  }
  static readonly zero = Q.of(0n);
  isZero() {
    return this.n === 0n;
  }
  add(o: Q) {
    return Q.of(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Q) {
    return Q.of(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  mul(o: Q) {
    return Q.of(this.n * o.n, this.d * o.d);
  }
  div(o: Q) {
    return Q.of(this.n * o.d, this.d * o.n);
  }
  toString() {
    return this.d === 1n ? String(this.n) : `${this.n}/${this.d}`;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

export function checkTableDisclosure(tables: readonly PublishedCountTable[], threshold: number): string[] {
  const problems: string[] = [];
  const families = new Map<string, PublishedCountTable[]>();
  for (const t of tables) families.set(t.measure, [...(families.get(t.measure) ?? []), t]);

  for (const [measure, family] of families) {
    // What the reader knows of each cell, by the dimension values it is restricted to.
    const known = new Map<string, number>();
    const hidden = new Set<string>();
    const equations: { terms: string[]; total: string }[] = [];
    const keyOf = (t: PublishedCountTable, r: number, c: number) => {
      const dims: string[] = [];
      if (r < t.rows.length - 1) dims.push(`${t.rowDimension}=${t.rows[r]}`);
      if (c < t.columns.length - 1) dims.push(`${t.columnDimension}=${t.columns[c]}`);
      return `${measure}{${dims.sort().join(',')}}`;
    };
    for (const t of family) {
      const R = t.rows.length - 1;
      const C = t.columns.length - 1;
      if (t.cells.length !== R + 1 || t.cells.some((row) => row.length !== C + 1)) {
        problems.push(`${t.name}: the cells are not ${R + 1} × ${C + 1}`);
        continue;
      }
      for (let r = 0; r <= R; r++) {
        for (let c = 0; c <= C; c++) {
          const v = t.cells[r]![c]!;
          const key = keyOf(t, r, c);
          if (v === null) {
            hidden.add(key);
            continue;
          }
          if (!Number.isInteger(v) || v < 0) problems.push(`${t.name}: ${key} is ${v}`);
          if (v >= 1 && v < threshold) problems.push(`${t.name}: ${key} publishes ${v}, under ${threshold}`);
          if (known.has(key) && known.get(key) !== v) problems.push(`${key}: published as ${known.get(key)} and ${v}`);
          known.set(key, v);
        }
      }
      for (let r = 0; r <= R; r++) {
        equations.push({ terms: Array.from({ length: C }, (_, c) => keyOf(t, r, c)), total: keyOf(t, r, C) });
      }
      for (let c = 0; c <= C; c++) {
        equations.push({ terms: Array.from({ length: R }, (_, r) => keyOf(t, r, c)), total: keyOf(t, R, c) });
      }
    }
    for (const key of hidden)
      if (known.has(key)) problems.push(`${key}: suppressed in one table, published in another`);

    // Σ terms − total = 0, with what is known moved to the right-hand side.
    const unknowns = [...hidden].filter((k) => !known.has(k)).sort();
    const column = new Map(unknowns.map((k, i) => [k, i]));
    const rows: Q[][] = [];
    for (const e of equations) {
      const row = Array.from({ length: unknowns.length + 1 }, () => Q.zero);
      let rhs = 0;
      let any = false;
      const add = (key: string, sign: 1 | -1) => {
        const c = column.get(key);
        if (c === undefined) rhs -= sign * (known.get(key) ?? 0);
        else {
          row[c] = row[c]!.add(Q.of(BigInt(sign)));
          any = true;
        }
      };
      for (const term of e.terms) add(term, 1);
      add(e.total, -1);
      row[unknowns.length] = Q.of(BigInt(rhs));
      if (any) rows.push(row);
      else if (rhs !== 0) problems.push(`${e.total}: published parts add up to ${-rhs} more than the total`);
    }
    const pivots = gaussJordan(rows, unknowns.length);
    for (const [c, r] of pivots) {
      const row = rows[r]!;
      if (row.every((q, j) => j === c || j === unknowns.length || q.isZero())) {
        problems.push(`${unknowns[c]} is suppressed but derivable: ${row[unknowns.length]!.toString()}`);
      }
    }
  }
  return problems;
}

/** Reduces the rows in place; returns pivot column → row. The last column is the right-hand side. */
function gaussJordan(rows: Q[][], n: number): Map<number, number> {
  const pivots = new Map<number, number>();
  let rank = 0;
  for (let c = 0; c < n && rank < rows.length; c++) {
    const r = rows.findIndex((row, i) => i >= rank && !row[c]!.isZero());
    if (r < 0) continue;
    [rows[rank], rows[r]] = [rows[r]!, rows[rank]!];
    const pivot = rows[rank]!;
    const p = pivot[c]!;
    for (let j = 0; j <= n; j++) pivot[j] = pivot[j]!.div(p);
    for (let i = 0; i < rows.length; i++) {
      if (i === rank || rows[i]![c]!.isZero()) continue;
      const f = rows[i]![c]!;
      for (let j = 0; j <= n; j++) rows[i]![j] = rows[i]![j]!.sub(f.mul(pivot[j]!));
    }
    pivots.set(c, rank++);
  }
  return pivots;
}
