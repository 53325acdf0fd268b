/**
 * An independent checker of published anonymized rows: it knows nothing of how the export was made (it imports
 * nothing from libs/domain/src/reporting) and judges the rows alone. Returns the problems found; none means the rows
 * pass.
 */

export interface AnonymityRules {
  k: number;
  l: number;
  /** Exactly the columns every row must have: no more, no fewer. */
  columns: readonly string[];
  /** The columns an attacker can know about a person. */
  quasiIdentifiers: readonly string[];
  outcome: string;
  token: string;
  /** A column of ages: no value may name an age above 84 other than the top code itself. */
  age?: { column: string; topCode: string };
  /** Values no cell may hold (internal ids, names, disease numbers…). */
  forbiddenValues?: Iterable<string>;
  /** Per column, the only values it may hold. */
  allowedValues?: Readonly<Record<string, ReadonlySet<string>>>;
}

/** Rows grouped by their values in the given columns (the equivalence classes, when they are the quasi-identifiers). */
export function groupBy(
  rows: readonly Readonly<Record<string, string>>[],
  columns: readonly string[],
): Map<string, Readonly<Record<string, string>>[]> {
  const groups = new Map<string, Readonly<Record<string, string>>[]>();
  for (const row of rows) {
    const key = JSON.stringify(columns.map((c) => row[c]));
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** The rows in classes with fewer than k rows or fewer than l distinct outcomes. */
export function rowsFailing(
  rows: readonly Readonly<Record<string, string>>[],
  quasiIdentifiers: readonly string[],
  outcome: string,
  k: number,
  l: number,
): number {
  let failing = 0;
  for (const group of groupBy(rows, quasiIdentifiers).values()) {
    if (group.length < k || new Set(group.map((r) => r[outcome])).size < l) failing += group.length;
  }
  return failing;
}

export function checkAnonymity(rows: readonly Readonly<Record<string, string>>[], rules: AnonymityRules): string[] {
  const problems: string[] = [];
  const expected = [...rules.columns].sort().join(',');
  const forbidden = new Set(rules.forbiddenValues ?? []);
  const tokens = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const columns = Object.keys(row).sort().join(',');
    if (columns !== expected) problems.push(`row ${i}: columns ${columns}, expected ${expected}`);
    for (const [column, value] of Object.entries(row)) {
      if (typeof value !== 'string') problems.push(`row ${i}: ${column} is not a string`);
      if (forbidden.has(value)) problems.push(`row ${i}: ${column} holds a forbidden value ${value}`);
      const allowed = rules.allowedValues?.[column];
      if (allowed && !allowed.has(value)) problems.push(`row ${i}: ${column} holds ${value}`);
    }
    const token = row[rules.token];
    if (!token) problems.push(`row ${i}: no token`);
    else if (tokens.has(token)) problems.push(`row ${i}: token ${token} repeated`);
    else tokens.add(token);
    if (rules.age) {
      const age = row[rules.age.column] ?? '';
      const numbers = (age.match(/\d+/g) ?? []).map(Number);
      if (age !== rules.age.topCode && (numbers.length === 0 || numbers.some((n) => n > 84))) {
        problems.push(`row ${i}: age ${age} is above the top code`);
      }
    }
  }
  for (const group of groupBy(rows, rules.quasiIdentifiers).values()) {
    const outcomes = new Set(group.map((r) => r[rules.outcome])).size;
    const at = JSON.stringify(rules.quasiIdentifiers.map((c) => group[0]![c]));
    if (group.length < rules.k) problems.push(`class ${at}: ${group.length} rows < k = ${rules.k}`);
    if (outcomes < rules.l) problems.push(`class ${at}: ${outcomes} outcomes < l = ${rules.l}`);
  }
  return problems;
}
