import { randomInt, randomUUID } from 'node:crypto';
import { badInput } from '@tasuki/platform';
import { labelAt, TOKEN_COLUMN, type ExportSchema, type Hierarchy, type QuasiIdentifier } from './generalization.js';

/**
 * The record-level anonymized export's core (匿名加工情報, PRODUCT.md §3, issue 6 item 2): records are encoded into
 * small integer codes per quasi-identifier, the generalization lattice is searched for the least generalized node at
 * which suppressing the classes that fail k-anonymity or ℓ-diversity removes at most 5% of the rows, and the rows
 * that remain are published with their generalized labels, a fresh random token each, in a random order.
 *
 * Pure and deterministic apart from the tokens and the order, whose randomness is injected (ExportRandomness).
 */

export const DEFAULT_K = 5;
export const MIN_K = 3;
export const DEFAULT_L = 2;
export const MIN_L = 2;
export const MAX_SUPPRESSION_RATE = 0.05;
/** The outcome's distinct values are a bit set per class (32 bits). */
export const MAX_OUTCOME_VALUES = 32;

export interface AnonymizationOptions {
  /** Every published class has at least k rows: default 5, never below 3. */
  k?: number;
  /** Every published class has at least ℓ distinct outcome values: default 2, at most k. */
  l?: number;
  /** The share of rows that may be suppressed: default and at most 0.05. */
  maxSuppressionRate?: number;
}

export interface AnonymizationSettings {
  k: number;
  l: number;
  maxSuppressionRate: number;
}

/** The options with their defaults, or a BAD_USER_INPUT naming the offending one. */
export function anonymizationSettings(options: AnonymizationOptions = {}): AnonymizationSettings {
  const k = options.k ?? DEFAULT_K;
  const l = options.l ?? DEFAULT_L;
  const rate = options.maxSuppressionRate ?? MAX_SUPPRESSION_RATE;
  if (!Number.isInteger(k) || k < MIN_K) throw badInput('k', `k は${MIN_K}以上の整数で指定してください。`);
  if (!Number.isInteger(l) || l < MIN_L || l > k) {
    throw badInput('l', `ℓ（結果の多様性）は${MIN_L}以上 k 以下の整数で指定してください。`);
  }
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= MAX_SUPPRESSION_RATE)) {
    throw badInput('maxSuppressionRate', `削除してよい行の割合は0〜${MAX_SUPPRESSION_RATE}で指定してください。`);
  }
  return { k, l, maxSuppressionRate: rate };
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/**
 * The cohort in the form the search works on, columnar: one Uint16Array of level-0 codes per quasi-identifier and a
 * Uint8Array of outcome codes, 2 bytes per quasi-identifier + 1 per row (six quasi-identifiers: 13 bytes a row,
 * 2.6 MB for 200,000 rows). No raw value, identifier or free text is kept.
 */
export interface EncodedRecords {
  readonly hierarchies: readonly Hierarchy[];
  readonly outcome: { readonly column: string; readonly label: string };
  readonly size: number;
  readonly codes: readonly Uint16Array[];
  readonly outcomes: Uint8Array;
  /** Outcome code → value, in order of first appearance. */
  readonly outcomeValues: readonly string[];
}

/** Encodes records one at a time (a cursor can feed it), growing its arrays by doubling. */
export class RecordEncoder<R> {
  private size = 0;
  private codes: Uint16Array[];
  private outcomes: Uint8Array;
  private readonly outcomeCodes = new Map<string, number>();
  private readonly row: number[];

  constructor(
    private readonly schema: ExportSchema<R>,
    capacity = 1024,
  ) {
    const attrs = schema.quasiIdentifiers.length;
    if (attrs === 0) throw new Error('an export needs at least one quasi-identifier');
    const columns = [
      TOKEN_COLUMN.name,
      ...schema.quasiIdentifiers.map((q) => q.hierarchy.column),
      schema.outcome.column,
    ];
    if (new Set(columns).size !== columns.length) throw new Error(`duplicate export columns: ${columns.join(', ')}`);
    this.codes = schema.quasiIdentifiers.map(() => new Uint16Array(capacity));
    this.outcomes = new Uint8Array(capacity);
    this.row = new Array<number>(attrs);
  }

  add(record: R): void {
    // Every value is read before anything is stored, so a refused record leaves no half row.
    const qis: readonly QuasiIdentifier<R>[] = this.schema.quasiIdentifiers;
    for (let a = 0; a < qis.length; a++) this.row[a] = qis[a]!.code(record);
    const value = this.schema.outcome.value(record);
    let outcome = this.outcomeCodes.get(value);
    if (outcome === undefined) {
      if (this.outcomeCodes.size >= MAX_OUTCOME_VALUES) {
        throw badInput('outcome', `結果の値は${MAX_OUTCOME_VALUES}種類までです。`);
      }
      outcome = this.outcomeCodes.size;
      this.outcomeCodes.set(value, outcome);
    }
    if (this.size === this.outcomes.length) this.grow();
    for (let a = 0; a < qis.length; a++) this.codes[a]![this.size] = this.row[a]!;
    this.outcomes[this.size] = outcome;
    this.size++;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.outcomes.length * 2);
    this.codes = this.codes.map((c) => {
      const next = new Uint16Array(capacity);
      next.set(c);
      return next;
    });
    const outcomes = new Uint8Array(capacity);
    outcomes.set(this.outcomes);
    this.outcomes = outcomes;
  }

  finish(): EncodedRecords {
    return {
      hierarchies: this.schema.quasiIdentifiers.map((q) => q.hierarchy),
      outcome: { column: this.schema.outcome.column, label: this.schema.outcome.label },
      size: this.size,
      codes: this.codes.map((c) => c.slice(0, this.size)),
      outcomes: this.outcomes.slice(0, this.size),
      outcomeValues: [...this.outcomeCodes.keys()],
    };
  }
}

export function encodeRecords<R>(schema: ExportSchema<R>, records: Iterable<R>): EncodedRecords {
  const encoder = new RecordEncoder(schema);
  for (const r of records) encoder.add(r);
  return encoder.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Equivalence classes

interface Column {
  /** Level-0 codes. */
  codes: Uint16Array;
  /** Level-0 code → code at the node's level. */
  codeOf: Uint16Array;
  /** The number of codes at that level. */
  size: number;
}

/** Integer keys below 2^53 are exact in a double: the mixed-radix key of a tuple stays under this. */
const KEY_LIMIT = 2 ** 53;

/**
 * Working memory reused by every node's evaluation (sized for the histogram): the keys and ids of the tuples, and the
 * hash table's slots — about 40 bytes a tuple, allocated once per plan instead of once per node.
 */
class Scratch {
  readonly keys: Float64Array;
  readonly ids: Uint32Array;
  readonly slotKeys: Float64Array;
  readonly slotIds: Int32Array;

  constructor(length: number) {
    let capacity = 16;
    while (capacity < length * 2) capacity *= 2;
    this.keys = new Float64Array(length);
    this.ids = new Uint32Array(length);
    this.slotKeys = new Float64Array(capacity);
    this.slotIds = new Int32Array(capacity);
  }
}

/**
 * Numbers the distinct tuples of the columns in order of first appearance, into scratch.ids. Each tuple's key is the
 * mixed-radix number of its codes, a double; should the radix product pass 2^53, the keys so far are renumbered
 * densely (below the length) first, so nothing ever overflows. Returns the number of distinct tuples.
 */
function classify(length: number, columns: readonly Column[], scratch: Scratch): number {
  const { keys, ids } = scratch;
  keys.fill(0, 0, length);
  let range = 1;
  for (const { codes, codeOf, size } of columns) {
    if (size === 1) continue;
    if (range * size >= KEY_LIMIT) {
      range = densify(length, scratch);
      for (let i = 0; i < length; i++) keys[i] = ids[i]!;
    }
    for (let i = 0; i < length; i++) keys[i] = keys[i]! * size + codeOf[codes[i]!]!;
    range *= size;
  }
  return densify(length, scratch);
}

/**
 * Writes each key's dense id (order of first appearance) into ids; returns the number of distinct keys. Equal keys
 * are found with an open-addressing hash table in typed arrays, several times faster than a Map of doubles.
 */
function densify(length: number, { keys, ids, slotKeys, slotIds }: Scratch): number {
  const mask = slotIds.length - 1;
  slotIds.fill(-1);
  let next = 0;
  for (let i = 0; i < length; i++) {
    const key = keys[i]!;
    // The key's low and high 32 bits, mixed (murmur3's finalizer).
    let h = (key >>> 0) ^ Math.imul((key / 4294967296) | 0, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let slot = (h ^ (h >>> 16)) & mask;
    for (;;) {
      const id = slotIds[slot]!;
      if (id < 0) {
        slotIds[slot] = next;
        slotKeys[slot] = key;
        ids[i] = next++;
        break;
      }
      if (slotKeys[slot] === key) {
        ids[i] = id;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return next;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * The bottom node's classes (the distinct level-0 tuples): every other node is evaluated from these, whose number is
 * at most the number of rows and usually much less.
 */
interface Histogram {
  tuples: number;
  codes: Uint16Array[];
  counts: Uint32Array;
  /** Bit i: outcome code i occurs in the tuple. */
  outcomeMasks: Uint32Array;
  rowTuple: Uint32Array;
}

function histogram(enc: EncodedRecords): Histogram {
  const scratch = new Scratch(enc.size);
  const count = classify(
    enc.size,
    enc.codes.map((codes, a) => ({
      codes,
      codeOf: enc.hierarchies[a]!.levels[0]!.codeOf,
      size: enc.hierarchies[a]!.size,
    })),
    scratch,
  );
  const ids = scratch.ids;
  const codes = enc.codes.map(() => new Uint16Array(count));
  const counts = new Uint32Array(count);
  const outcomeMasks = new Uint32Array(count);
  for (let r = 0; r < enc.size; r++) {
    const t = ids[r]!;
    if (counts[t]++ === 0) for (let a = 0; a < codes.length; a++) codes[a]![t] = enc.codes[a]![r]!;
    outcomeMasks[t] = outcomeMasks[t]! | (1 << enc.outcomes[r]!);
  }
  return { tuples: count, codes, counts, outcomeMasks, rowTuple: ids };
}

interface NodeEvaluation {
  levels: readonly number[];
  /** Rows in classes with fewer than k rows or fewer than ℓ distinct outcomes. */
  suppressed: number;
  /** Of those, the rows in classes with fewer than k rows. */
  suppressedForK: number;
  classes: number;
  suppressedClasses: number;
  /**
   * The discernibility metric (Bayardo & Agrawal): Σ |class|² over published classes + suppressed × rows. Lower
   * means finer classes: the tie-break between nodes of the same height.
   */
  discernibility: number;
  /** Per tuple of the histogram, whether its class is published (only when asked for). */
  tupleKept?: Uint8Array;
}

function evaluate(
  hist: Histogram,
  hierarchies: readonly Hierarchy[],
  levels: readonly number[],
  s: AnonymizationSettings,
  scratch: Scratch,
  withKept = false,
): NodeEvaluation {
  const count = classify(
    hist.tuples,
    hierarchies.map((h, a) => {
      const lv = h.levels[levels[a]!]!;
      return { codes: hist.codes[a]!, codeOf: lv.codeOf, size: lv.labels.length };
    }),
    scratch,
  );
  const ids = scratch.ids;
  const sizes = new Uint32Array(count);
  const masks = new Uint32Array(count);
  for (let t = 0; t < hist.tuples; t++) {
    const c = ids[t]!;
    sizes[c] += hist.counts[t]!;
    masks[c] = masks[c]! | hist.outcomeMasks[t]!;
  }
  let rows = 0;
  let suppressed = 0;
  let suppressedForK = 0;
  let suppressedClasses = 0;
  let kept = 0;
  const classKept = new Uint8Array(count);
  for (let c = 0; c < count; c++) {
    const size = sizes[c]!;
    rows += size;
    if (size < s.k) suppressedForK += size;
    if (size < s.k || popcount(masks[c]!) < s.l) {
      suppressed += size;
      suppressedClasses++;
    } else {
      classKept[c] = 1;
      kept += size * size;
    }
  }
  let tupleKept: Uint8Array | undefined;
  if (withKept) {
    tupleKept = new Uint8Array(hist.tuples);
    for (let t = 0; t < hist.tuples; t++) tupleKept[t] = classKept[ids[t]!]!;
  }
  return {
    levels,
    suppressed,
    suppressedForK,
    classes: count,
    suppressedClasses,
    discernibility: kept + suppressed * rows,
    tupleKept,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The lattice search

/** Every level vector with the given sum, each level within its maximum, in lexicographic order. */
function nodesAtHeight(maxLevels: readonly number[], height: number): number[][] {
  const out: number[][] = [];
  const node = new Array<number>(maxLevels.length).fill(0);
  const rest = maxLevels.map((_, a) => maxLevels.slice(a).reduce((x, y) => x + y, 0));
  const walk = (a: number, left: number) => {
    if (a === maxLevels.length) {
      if (left === 0) out.push([...node]);
      return;
    }
    for (let v = Math.max(0, left - (rest[a + 1] ?? 0)); v <= Math.min(maxLevels[a]!, left); v++) {
      node[a] = v;
      walk(a + 1, left - v);
    }
  };
  walk(0, height);
  return out;
}

const atMost = (a: readonly number[], b: readonly number[]) => a.every((v, i) => v <= b[i]!);

const lexicographic = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
};

/** Why no node kept the suppression within the bound; the export then stands at the top node. */
export interface AnonymizationShortfall {
  code: 'FEWER_ROWS_THAN_K' | 'FEWER_OUTCOMES_THAN_L' | 'TOP_NODE_OVER_LIMIT';
  /** Japanese, for the analyst. */
  message: string;
  /** Rows the most generalized node suppresses. */
  suppressedAtTop: number;
  maxSuppressed: number;
}

export interface ChosenLevel {
  column: string;
  label: string;
  level: number;
  levelName: string;
  /** The hierarchy's top level. */
  maxLevel: number;
}

export interface PublishedColumn {
  name: string;
  label: string;
}

/** What the export records about its processing (stored with it; nothing in it is about one person). */
export interface ExportMetadata {
  k: number;
  l: number;
  maxSuppressionRate: number;
  /** Rows in the cohort. */
  cohortCount: number;
  /** Rows published: cohortCount − suppressedCount. */
  rowCount: number;
  suppressedCount: number;
  /** Of suppressedCount: rows in classes under k; the rest were in classes of k or more with under ℓ outcomes. */
  suppressedForK: number;
  suppressedForL: number;
  /** floor(cohortCount × maxSuppressionRate). */
  maxSuppressed: number;
  /** Whether suppressedCount ≤ maxSuppressed. When not, `shortfall` says why and the node is the top. */
  suppressionBoundHeld: boolean;
  shortfall: AnonymizationShortfall | null;
  /** The chosen generalization, one entry per quasi-identifier in column order. */
  node: ChosenLevel[];
  /** Published equivalence classes. */
  classCount: number;
  /** The published items, in order: the token, the quasi-identifiers, the outcome. */
  columns: PublishedColumn[];
  lattice: { nodes: number; height: number; nodesEvaluated: number };
}

export interface AnonymizationPlan {
  metadata: ExportMetadata;
  /** The chosen node's level per quasi-identifier. */
  levels: readonly number[];
  /** Indexes of the published rows, ascending (publishRows shuffles them). */
  keptRows: Uint32Array;
}

/**
 * Finds the least generalized node — minimal by the sum of levels; ties by the discernibility metric, then by fewer
 * suppressed rows, then by the level vector in lexicographic order — at which suppressing every class with fewer than
 * k rows or fewer than ℓ distinct outcomes removes at most maxSuppressionRate of the rows.
 *
 * The two conditions are checked together because both are monotone: merging classes never makes a class smaller or
 * less diverse, so the rows a node suppresses can only fall as it is generalized, and "suppresses at most the bound"
 * holds for every generalization of a node that satisfies it. The search uses that twice: a binary search over the
 * lattice's heights for the lowest height holding a satisfying node (Samarati), where a node above a known
 * satisfying one is satisfying and a node below a known failing one fails without being evaluated; then every
 * remaining node of that height is evaluated for the tie-break. When even the top node suppresses more than the
 * bound, the top is chosen (its classes all pass k and ℓ, it just suppresses more) and the shortfall says why.
 */
export function planAnonymization(enc: EncodedRecords, options: AnonymizationOptions = {}): AnonymizationPlan {
  const s = anonymizationSettings(options);
  const n = enc.size;
  const hist = histogram(enc);
  const scratch = new Scratch(hist.tuples);
  const maxLevels = enc.hierarchies.map((h) => h.levels.length - 1);
  const height = maxLevels.reduce((x, y) => x + y, 0);
  const maxSuppressed = Math.floor(n * s.maxSuppressionRate + 1e-9);

  const evaluated = new Map<string, NodeEvaluation>();
  const satisfying: (readonly number[])[] = [];
  const failing: (readonly number[])[] = [];
  const run = (levels: readonly number[]) => {
    const key = levels.join(',');
    let e = evaluated.get(key);
    if (!e) {
      e = evaluate(hist, enc.hierarchies, levels, s, scratch);
      evaluated.set(key, e);
      (e.suppressed <= maxSuppressed ? satisfying : failing).push(levels);
    }
    return e;
  };
  const known = (levels: readonly number[]) =>
    satisfying.some((x) => atMost(x, levels)) ? true : failing.some((x) => atMost(levels, x)) ? false : undefined;
  const anySatisfying = (h: number) =>
    nodesAtHeight(maxLevels, h).some((lv) => known(lv) ?? run(lv).suppressed <= maxSuppressed);

  let chosen: readonly number[];
  let shortfall: AnonymizationShortfall | null = null;
  const top = run(maxLevels);
  if (top.suppressed > maxSuppressed) {
    chosen = maxLevels;
    shortfall = describeShortfall(enc, s, top, maxSuppressed);
  } else {
    let lo = 0;
    let hi = height;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (anySatisfying(mid)) hi = mid;
      else lo = mid + 1;
    }
    const candidates = nodesAtHeight(maxLevels, lo)
      .filter((lv) => known(lv) !== false)
      .map(run)
      .filter((e) => e.suppressed <= maxSuppressed)
      .sort(
        (a, b) =>
          a.discernibility - b.discernibility || a.suppressed - b.suppressed || lexicographic(a.levels, b.levels),
      );
    chosen = candidates[0]!.levels;
  }

  const final = evaluate(hist, enc.hierarchies, chosen, s, scratch, true);
  const keptRows = new Uint32Array(n - final.suppressed);
  for (let r = 0, i = 0; r < n; r++) if (final.tupleKept![hist.rowTuple[r]!]) keptRows[i++] = r;

  return {
    levels: chosen,
    keptRows,
    metadata: {
      k: s.k,
      l: s.l,
      maxSuppressionRate: s.maxSuppressionRate,
      cohortCount: n,
      rowCount: n - final.suppressed,
      suppressedCount: final.suppressed,
      suppressedForK: final.suppressedForK,
      suppressedForL: final.suppressed - final.suppressedForK,
      maxSuppressed,
      suppressionBoundHeld: final.suppressed <= maxSuppressed,
      shortfall,
      node: enc.hierarchies.map((h, a) => ({
        column: h.column,
        label: h.label,
        level: chosen[a]!,
        levelName: h.levels[chosen[a]!]!.name,
        maxLevel: maxLevels[a]!,
      })),
      classCount: final.classes - final.suppressedClasses,
      columns: publishedColumns(enc),
      lattice: {
        nodes: maxLevels.reduce((x, m) => x * (m + 1), 1),
        height,
        nodesEvaluated: evaluated.size,
      },
    },
  };
}

function describeShortfall(
  enc: EncodedRecords,
  s: AnonymizationSettings,
  top: NodeEvaluation,
  maxSuppressed: number,
): AnonymizationShortfall {
  const n = enc.size;
  const base = { suppressedAtTop: top.suppressed, maxSuppressed };
  if (n < s.k) {
    return {
      ...base,
      code: 'FEWER_ROWS_THAN_K',
      message: `対象者が ${n} 人で k = ${s.k} に満たないため、行を公表できません。`,
    };
  }
  const outcomes = new Set(enc.outcomes).size;
  if (outcomes < s.l) {
    return {
      ...base,
      code: 'FEWER_OUTCOMES_THAN_L',
      message: `結果の値が ${outcomes} 種類しかなく ℓ = ${s.l} に満たないため、行を公表できません。`,
    };
  }
  return {
    ...base,
    code: 'TOP_NODE_OVER_LIMIT',
    message:
      `最も粗い一般化でも ${top.suppressed} 行（全 ${n} 行のうち、${s.k} 行未満の区分で ` +
      `${top.suppressedForK} 行、結果が ${s.l} 種類未満の区分で ${top.suppressed - top.suppressedForK} 行）を` +
      `削除する必要があり、上限の ${maxSuppressed} 行（${+(s.maxSuppressionRate * 100).toFixed(2)}%）を超えます。`,
  };
}

export function publishedColumns(enc: EncodedRecords): PublishedColumn[] {
  return [
    { name: TOKEN_COLUMN.name, label: TOKEN_COLUMN.label },
    ...enc.hierarchies.map((h) => ({ name: h.column, label: h.label })),
    { name: enc.outcome.column, label: enc.outcome.label },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Publishing

/** The randomness of an export: the row order and the tokens. Tests inject a seeded one. */
export interface ExportRandomness {
  /** A uniformly distributed integer in [0, max). */
  randomInt(max: number): number;
  /** A fresh, unguessable token. */
  token(): string;
}

/** The production randomness: node:crypto's CSPRNG. */
export const cryptoRandomness: ExportRandomness = {
  randomInt: (max) => randomInt(max),
  token: () => randomUUID(),
};

/** A published row: the allowlisted columns only, each a string. */
export type PublishedRow = Readonly<Record<string, string>>;

/**
 * The published rows, generated one at a time (a writer can stream them): the kept rows in a Fisher–Yates order
 * drawn from `random`, each with a fresh token — random, never derived from anything about the row, so a token
 * links nothing across exports — the chosen node's label per quasi-identifier, and the outcome.
 */
export function* publishRows(
  enc: EncodedRecords,
  plan: AnonymizationPlan,
  random: ExportRandomness = cryptoRandomness,
): Generator<PublishedRow> {
  const order = plan.keptRows.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.randomInt(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const { hierarchies, codes, outcome, outcomes, outcomeValues } = enc;
  for (const r of order) {
    const row: Record<string, string> = { [TOKEN_COLUMN.name]: random.token() };
    for (let a = 0; a < hierarchies.length; a++) {
      row[hierarchies[a]!.column] = labelAt(hierarchies[a]!, codes[a]![r]!, plan.levels[a]!);
    }
    row[outcome.column] = outcomeValues[outcomes[r]!]!;
    yield row;
  }
}

export interface AnonymizedExport {
  metadata: ExportMetadata;
  rows: PublishedRow[];
}

/** Encodes, plans and publishes in memory: the whole export of an iterable of records. */
export function anonymize<R>(
  records: Iterable<R>,
  schema: ExportSchema<R>,
  options: AnonymizationOptions & { random?: ExportRandomness } = {},
): AnonymizedExport {
  anonymizationSettings(options);
  const enc = encodeRecords(schema, records);
  const plan = planAnonymization(enc, options);
  return { metadata: plan.metadata, rows: [...publishRows(enc, plan, options.random)] };
}
