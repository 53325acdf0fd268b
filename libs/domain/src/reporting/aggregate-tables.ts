import { ORGANIZATION_KIND_LABELS, ORGANIZATION_KINDS } from '../organizations/organization.model.js';
import { REGIONS } from './generalization.js';
import { MIN_PUBLISHED_COUNT, suppressLinkedTables, TOTAL_LABEL, type CountTableInput } from './suppression.js';

/**
 * The aggregate tables of an anonymized export (PRODUCT.md §3, issue 6 item 3): counts of new clients, placements
 * and referrals, each cross-tabulated by fiscal year and one other dimension (region, disability-certificate class,
 * organization kind, retention at 3/6/12 months, referral route and result), suppressed as one linked family per
 * measure (suppression.ts); then the rates and medians, computed from published counts only, so that they tell
 * nothing the counts do not.
 *
 * Pure: the export job groups the cohort in SQL and hands over the counts per combination of dimension values.
 */

export type AggregateKind = 'COUNT' | 'RATE' | 'MEDIAN';

/** One published table. COUNT tables end with their totals row and column (合計); null is a suppressed cell. */
export interface AggregateTable {
  name: string;
  title: string;
  /** COUNT tables of one measure share cells (the checker reads them together). */
  measure: string;
  kind: AggregateKind;
  unit: string;
  rowDimension: string;
  columnDimension: string;
  rows: string[];
  columns: string[];
  /** rows × columns; null: suppressed (COUNT) or not published (RATE, MEDIAN). */
  cells: (number | null)[][];
  note: string | null;
}

/** The disability-certificate classes; "designated disease, no certificate" is its own class (issue 6). */
export const CERTIFICATE_CLASSES = [
  '身体障害者手帳',
  '療育手帳',
  '精神障害者保健福祉手帳',
  '手帳なし・指定難病あり',
  '手帳なし・指定難病なし',
  '手帳の記録なし',
] as const;

/**
 * A client's certificate class: the certificate when there is one; otherwise, when none is recorded as held (NONE),
 * whether the client has a designated disease; a client whose certificate was never recorded is its own class.
 */
export function certificateClass(certificate: string | null, hasDesignatedDisease: boolean): string {
  switch (certificate) {
    case 'PHYSICAL':
      return CERTIFICATE_CLASSES[0];
    case 'REHABILITATION':
      return CERTIFICATE_CLASSES[1];
    case 'MENTAL':
      return CERTIFICATE_CLASSES[2];
    case 'NONE':
      return hasDesignatedDisease ? CERTIFICATE_CLASSES[3] : CERTIFICATE_CLASSES[4];
    default:
      return CERTIFICATE_CLASSES[5];
  }
}

/** Retention is counted at these months after the start date. */
export const RETENTION_MONTHS = [3, 6, 12] as const;
/** At a horizon: still employed (no separation before it), separated before it, or the horizon not yet reached. */
export const RETENTION_STATES = ['RETAINED', 'SEPARATED', 'PENDING'] as const;
export type RetentionState = (typeof RETENTION_STATES)[number];
export const RETENTION_STATE_LABELS: Record<RetentionState, string> = {
  RETAINED: '定着',
  SEPARATED: '離職',
  PENDING: '未到来',
};

/** A sent referral's result at the snapshot. */
export const REFERRAL_RESULTS = ['ACCEPTED', 'DECLINED', 'CANCELLED', 'PENDING'] as const;
export type ReferralResult = (typeof REFERRAL_RESULTS)[number];
export const REFERRAL_RESULT_LABELS: Record<ReferralResult, string> = {
  ACCEPTED: '受諾',
  DECLINED: '辞退',
  CANCELLED: '取消（回答前）',
  PENDING: '回答待ち',
};

const KIND_LABELS = ORGANIZATION_KINDS.map((k) => ORGANIZATION_KIND_LABELS[k]);

/** A referral's route: the sender's organization kind → the recipient's. */
export function routeLabel(fromKind: string, toKind: string): string {
  const label = (k: string) => ORGANIZATION_KIND_LABELS[k as keyof typeof ORGANIZATION_KIND_LABELS] ?? k;
  return `${label(fromKind)} → ${label(toKind)}`;
}

/** Japan's fiscal-year label of the tables ("2026年度"). */
export const fiscalYearLabel = (fy: number) => `${fy}年度`;

interface Dimension {
  label: string;
  /** The values in the order they are shown; those without any count in the measure are left out. */
  values: readonly string[];
}

const DIMENSIONS: Record<string, Dimension> = {
  region: { label: '地方（居住地）', values: REGIONS },
  certificate: { label: '障害者手帳の種類', values: CERTIFICATE_CLASSES },
  organizationKind: { label: '機関種別', values: KIND_LABELS },
  route: {
    label: '紹介元 → 紹介先の機関種別',
    values: ORGANIZATION_KINDS.flatMap((from) => ORGANIZATION_KINDS.map((to) => routeLabel(from, to))),
  },
  result: { label: '紹介の結果', values: REFERRAL_RESULTS.map((r) => REFERRAL_RESULT_LABELS[r]) },
  ...Object.fromEntries(
    RETENTION_MONTHS.map((m) => [
      `retention${m}`,
      { label: `就職${m}か月後`, values: RETENTION_STATES.map((s) => RETENTION_STATE_LABELS[s]) },
    ]),
  ),
};

/** A count of one combination of dimension values (labels), as the export job's queries group the cohort. */
export interface CrossTabCell {
  values: Readonly<Record<string, string>>;
  count: number;
}

export interface AggregateInput {
  /** The fiscal years of the export's period, in order (every one is shown, with or without counts). */
  fiscalYears: readonly string[];
  /** Dimensions: fiscalYear, region, certificate, organizationKind. */
  newClients: readonly CrossTabCell[];
  /** Dimensions: fiscalYear, region, certificate, organizationKind, retention3, retention6, retention12. */
  placements: readonly CrossTabCell[];
  /** Dimensions: fiscalYear, route, region, certificate, result. */
  referrals: readonly CrossTabCell[];
  /** Days from sending to the recipient's answer: the median and how many were answered, per route (null: all). */
  leadTimes: readonly { route: string | null; answered: number; medianDays: number | null }[];
}

interface Measure {
  name: string;
  title: string;
  unit: string;
  tables: readonly [string, string][];
}

const NEW_CLIENTS: Measure = {
  name: 'newClients',
  title: '新規相談者数',
  unit: '人',
  tables: [
    ['fiscalYear', 'region'],
    ['fiscalYear', 'certificate'],
    ['fiscalYear', 'organizationKind'],
  ],
};
const PLACEMENTS: Measure = {
  name: 'placements',
  title: '就職件数',
  unit: '件',
  tables: [
    ['fiscalYear', 'region'],
    ['fiscalYear', 'certificate'],
    ['fiscalYear', 'organizationKind'],
    ...RETENTION_MONTHS.map((m) => ['fiscalYear', `retention${m}`] as [string, string]),
  ],
};
const REFERRALS: Measure = {
  name: 'referrals',
  title: '紹介件数',
  unit: '件',
  tables: [
    ['fiscalYear', 'result'],
    ['route', 'result'],
    ['region', 'result'],
    ['certificate', 'result'],
  ],
};

const dimensionLabel = (name: string) => (name === 'fiscalYear' ? '年度' : DIMENSIONS[name]!.label);
const percent = (part: number, whole: number) => Math.round((1000 * part) / whole) / 10;

/** The counts of one measure as its linked tables, suppressed together. */
function countTables(measure: Measure, cells: readonly CrossTabCell[], fiscalYears: readonly string[]) {
  const domain = (dim: string): readonly string[] => {
    if (dim === 'fiscalYear') return fiscalYears;
    const present = new Set(cells.filter((c) => c.count > 0).map((c) => c.values[dim]));
    return DIMENSIONS[dim]!.values.filter((v) => present.has(v));
  };
  const inputs = measure.tables.map(([rowDim, colDim]): CountTableInput => {
    const rows = domain(rowDim);
    const columns = domain(colDim);
    const counts = rows.map(() => columns.map(() => 0));
    for (const cell of cells) {
      if (cell.count === 0) continue;
      const r = rows.indexOf(cell.values[rowDim]!);
      const c = columns.indexOf(cell.values[colDim]!);
      if (r < 0 || c < 0) {
        throw new Error(`${measure.name}: no ${rowDim} ${cell.values[rowDim]} or ${colDim} ${cell.values[colDim]}`);
      }
      counts[r]![c]! += cell.count;
    }
    return {
      name: `${measure.name}.${rowDim}.${colDim}`,
      rowDimension: rowDim,
      columnDimension: colDim,
      rows,
      columns,
      counts,
    };
  });
  return suppressLinkedTables(inputs).map((t): AggregateTable => ({
    ...t,
    title: `${measure.title}（${dimensionLabel(t.rowDimension)}×${dimensionLabel(t.columnDimension)}）`,
    measure: measure.name,
    kind: 'COUNT',
    unit: measure.unit,
    note: `${MIN_PUBLISHED_COUNT}未満の値と、合計から逆算できる値は秘匿 (null) しています。`,
  }));
}

/** A published count of a table by its row and column labels: 0 when the measure has no such value at all. */
function countAt(t: AggregateTable, row: string, column: string): number | null {
  const r = t.rows.indexOf(row);
  const c = t.columns.indexOf(column);
  if (r < 0 || c < 0) return 0;
  return t.cells[r]![c]!;
}

export function buildAggregateTables(input: AggregateInput): AggregateTable[] {
  const newClients = countTables(NEW_CLIENTS, input.newClients, input.fiscalYears);
  const placements = countTables(PLACEMENTS, input.placements, input.fiscalYears);
  const referrals = countTables(REFERRALS, input.referrals, input.fiscalYears);
  const find = (tables: AggregateTable[], name: string) => tables.find((t) => t.name === name)!;
  const rate = (part: number | null, whole: number | null) =>
    part === null || whole === null || whole === 0 ? null : percent(part, whole);
  const rates: AggregateTable[] = [];

  // 就職率: placements ÷ new clients, cell by cell, where both are published.
  for (const [, dim] of NEW_CLIENTS.tables) {
    const base = find(newClients, `newClients.fiscalYear.${dim}`);
    const placed = find(placements, `placements.fiscalYear.${dim}`);
    rates.push({
      name: `employmentRate.fiscalYear.${dim}`,
      title: `就職率（年度×${dimensionLabel(dim)}）`,
      measure: 'employmentRate',
      kind: 'RATE',
      unit: '%',
      rowDimension: 'fiscalYear',
      columnDimension: dim,
      rows: base.rows,
      columns: base.columns,
      cells: base.rows.map((row, r) =>
        base.columns.map((column, c) => rate(countAt(placed, row, column), base.cells[r]![c]!)),
      ),
      note: '就職件数÷新規相談者数 (同じ年度・区分)。どちらかが秘匿の区分は公表しません。前年度以前の相談者の就職も数えるため100%を超えることがあります。',
    });
  }

  // 定着率: retained ÷ (retained + separated) at each horizon, per fiscal year of the start date.
  const byYear = find(placements, 'placements.fiscalYear.retention3');
  const [retained, separated] = [RETENTION_STATE_LABELS.RETAINED, RETENTION_STATE_LABELS.SEPARATED];
  rates.push({
    name: 'retentionRate.fiscalYear.months',
    title: '定着率（就職年度×就職後の期間）',
    measure: 'retentionRate',
    kind: 'RATE',
    unit: '%',
    rowDimension: 'fiscalYear',
    columnDimension: 'retentionMonths',
    rows: byYear.rows,
    columns: RETENTION_MONTHS.map((m) => `${m}か月`),
    cells: byYear.rows.map((row) =>
      RETENTION_MONTHS.map((m) => {
        const t = find(placements, `placements.fiscalYear.retention${m}`);
        const kept = countAt(t, row, retained);
        const left = countAt(t, row, separated);
        return kept === null || left === null ? null : rate(kept, kept + left);
      }),
    ),
    note: 'その期間を経過した就職のうち、期間内に離職していない割合。定着・離職のどちらかが秘匿の区分は公表しません。',
  });

  // 受諾率: accepted ÷ (accepted + declined), per row of each referral table.
  const [accepted, declined] = [REFERRAL_RESULT_LABELS.ACCEPTED, REFERRAL_RESULT_LABELS.DECLINED];
  for (const t of referrals) {
    rates.push({
      name: `acceptanceRate.${t.rowDimension}`,
      title: `紹介の受諾率（${dimensionLabel(t.rowDimension)}別）`,
      measure: 'acceptanceRate',
      kind: 'RATE',
      unit: '%',
      rowDimension: t.rowDimension,
      columnDimension: 'measure',
      rows: t.rows,
      columns: ['受諾率'],
      cells: t.rows.map((row) => {
        const yes = countAt(t, row, accepted);
        const no = countAt(t, row, declined);
        return [yes === null || no === null ? null : rate(yes, yes + no)];
      }),
      note: '受諾÷(受諾＋辞退)。回答前の取消と回答待ちは含みません。受諾・辞退のどちらかが秘匿の区分は公表しません。',
    });
  }

  // The median days from sending to the answer, per route, over at least MIN_PUBLISHED_COUNT answers.
  const routes = find(referrals, 'referrals.route.result').rows;
  rates.push({
    name: 'leadTime.route',
    title: '紹介から回答までの日数の中央値（紹介元→紹介先の機関種別別）',
    measure: 'leadTime',
    kind: 'MEDIAN',
    unit: '日',
    rowDimension: 'route',
    columnDimension: 'measure',
    rows: routes,
    columns: ['中央値'],
    cells: routes.map((row) => {
      const l = input.leadTimes.find((x) => (row === TOTAL_LABEL ? x.route === null : x.route === row));
      return [
        l && l.answered >= MIN_PUBLISHED_COUNT && l.medianDays !== null ? Math.round(l.medianDays * 10) / 10 : null,
      ];
    }),
    note: `受諾または辞退の回答までの日数。回答が${MIN_PUBLISHED_COUNT}件未満の区分は公表しません。`,
  });

  return [...newClients, ...placements, ...referrals, ...rates];
}
