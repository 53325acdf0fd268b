import { badInput } from '@tasuki/platform';
import { ORGANIZATION_KIND_LABELS, ORGANIZATION_KINDS } from '../organizations/organization.model.js';
import { isIsoDate, isPlainLine, isPrefectureCode } from '../shared/validation.js';

/**
 * The generalization hierarchies of the record-level export's quasi-identifiers (PRODUCT.md §3, issue 6 item 2), as
 * data plus the functions that read it. Every hierarchy has a finite level-0 domain (codes 0..size-1) and, for each
 * level, the code every level-0 code generalizes to and the labels of that level's codes. Level 0 is the finest value
 * that may ever be published, the last level the coarsest; each level is a function of the one below, which is what
 * makes the lattice search's pruning sound. Published values are the Japanese labels.
 */

export interface HierarchyLevel {
  /** The level's name as the export's metadata shows it. */
  readonly name: string;
  /** Level-0 code → this level's code. */
  readonly codeOf: Uint16Array;
  /** This level's code → its published label. */
  readonly labels: readonly string[];
}

export interface Hierarchy {
  /** The published column (an allowlist entry). */
  readonly column: string;
  /** The column's Japanese label. */
  readonly label: string;
  /** Level 0 first; at least one level. */
  readonly levels: readonly HierarchyLevel[];
  /** The size of the level-0 domain. */
  readonly size: number;
}

/**
 * Builds a hierarchy from the labels of its level-0 codes and, per level above 0, the label each level-0 code
 * generalizes to. A level's codes are numbered in order of first appearance over the level-0 codes, so they sort
 * as the level-0 domain does.
 */
export function buildHierarchy(
  column: string,
  label: string,
  level0: { name: string; labels: readonly string[] },
  above: readonly { name: string; generalize: (code0: number) => string }[],
): Hierarchy {
  const size = level0.labels.length;
  if (size === 0 || size > 0xffff) throw new Error(`hierarchy ${column}: level-0 domain of ${size} codes`);
  const levels = [{ name: level0.name, generalize: (c: number) => level0.labels[c]! }, ...above].map((lv) => {
    const codeOf = new Uint16Array(size);
    const labels: string[] = [];
    const codes = new Map<string, number>();
    for (let c = 0; c < size; c++) {
      const l = lv.generalize(c);
      let code = codes.get(l);
      if (code === undefined) {
        code = labels.push(l) - 1;
        codes.set(l, code);
      }
      codeOf[c] = code;
    }
    return { name: lv.name, codeOf, labels };
  });
  return { column, label, levels, size };
}

/** The published label of a level-0 code at a level. */
export function labelAt(h: Hierarchy, code0: number, level: number): string {
  const lv = h.levels[level]!;
  return lv.labels[lv.codeOf[code0]!]!;
}

// ---------------------------------------------------------------------------------------------------------------
// Age

/**
 * Ages from 85 are published as "85歳以上" at every level below the broad bands, whose top band "65歳以上" is a lower
 * top code still: no age above 84 is ever published as such.
 */
export const AGE_TOP_CODE = 85;
/**
 * Ages under 15 are published as "15歳未満" below the broad bands: 15 is the youngest working age, so a younger client
 * is an outlier that exact values or bands would single out.
 */
export const AGE_BOTTOM_CODE = 15;
/**
 * The broad bands (the top level), each a union of the 10-year bands below (15–24, 25–34, …, 75–84): up to 34 (15–34
 * is 若年者 in Japan's employment statistics and youth policy), 35–64 (the rest of working age), 65 and over. Three
 * values covering all ages, so that the top level has no outlier class left: the very old and the very young are
 * merged there rather than suppressed.
 */
export const BROAD_AGE_BANDS = ['34歳以下', '35〜64歳', '65歳以上'] as const;
export const AGE_LEVEL_NAMES = ['各歳', '5歳階級', '10歳階級', '大区分'] as const;

/**
 * The age in completed years on a date, both "YYYY-MM-DD" dates in Japan's calendar (take the snapshot date with
 * japanDate()). Under 年齢計算ニ関スル法律 and 民法 143 a year is completed at the end of the day before the birthday,
 * and for a 29 February birthday at the end of 28 February in a common year: on a date, that is "the birthday's
 * month and day have been reached", with 1 March counting as reached for a 29 February birthday.
 */
export function ageInYears(birthDate: string, on: string): number {
  return completedYears(birthDate, assertSnapshotDate(on));
}

function assertSnapshotDate(on: string): string {
  if (!isIsoDate(on)) throw badInput('snapshotDate', '基準日の形式が正しくありません (YYYY-MM-DD)。');
  return on;
}

/** ageInYears for a snapshot date already checked. */
function completedYears(birthDate: string, on: string): number {
  if (!isIsoDate(birthDate)) throw badInput('birthDate', '生年月日の形式が正しくありません (YYYY-MM-DD)。');
  if (birthDate > on) throw badInput('birthDate', '生年月日が基準日より後になっています。');
  const years = Number(on.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return on.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** The published label of an age at a level (0: each year, 1: 5-year, 2: 10-year, 3: broad bands). */
export function ageLabel(age: number, level: number): string {
  if (level >= 3) return BROAD_AGE_BANDS[age <= 34 ? 0 : age <= 64 ? 1 : 2];
  if (age < AGE_BOTTOM_CODE) return `${AGE_BOTTOM_CODE}歳未満`;
  if (age >= AGE_TOP_CODE) return `${AGE_TOP_CODE}歳以上`;
  const band = (width: number) => {
    const lo = AGE_BOTTOM_CODE + Math.floor((age - AGE_BOTTOM_CODE) / width) * width;
    return `${lo}〜${lo + width - 1}歳`;
  };
  switch (level) {
    case 0:
      return `${age}歳`;
    case 1:
      return band(5);
    default:
      return band(10);
  }
}

/** Level-0 codes: 0 = under 15, 1..70 = 15..84, 71 = 85 and over. */
export function ageCode(age: number): number {
  return Math.min(Math.max(age, AGE_BOTTOM_CODE - 1), AGE_TOP_CODE) - (AGE_BOTTOM_CODE - 1);
}

export function ageHierarchy(): Hierarchy {
  const ageOf = (code: number) => code + AGE_BOTTOM_CODE - 1;
  const size = ageCode(AGE_TOP_CODE) + 1;
  return buildHierarchy(
    'age',
    '年齢',
    { name: AGE_LEVEL_NAMES[0], labels: Array.from({ length: size }, (_, c) => ageLabel(ageOf(c), 0)) },
    AGE_LEVEL_NAMES.slice(1).map((name, i) => ({ name, generalize: (c: number) => ageLabel(ageOf(c), i + 1) })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Prefecture → region → country

/** The eight regions of 八地方区分 (the school-atlas division; 三重 in 近畿, 新潟 and 山梨 in 中部). */
export const REGIONS = ['北海道', '東北', '関東', '中部', '近畿', '中国', '四国', '九州・沖縄'] as const;
export type Region = (typeof REGIONS)[number];

/** JIS X 0401 codes 01–47 (index + 1), with each prefecture's region. */
export const PREFECTURES: readonly { name: string; region: Region }[] = [
  ...['北海道'].map((name) => ({ name, region: '北海道' as const })),
  ...['青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県'].map((name) => ({ name, region: '東北' as const })),
  ...['茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県'].map((name) => ({
    name,
    region: '関東' as const,
  })),
  ...['新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県'].map((name) => ({
    name,
    region: '中部' as const,
  })),
  ...['三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県'].map((name) => ({
    name,
    region: '近畿' as const,
  })),
  ...['鳥取県', '島根県', '岡山県', '広島県', '山口県'].map((name) => ({ name, region: '中国' as const })),
  ...['徳島県', '香川県', '愛媛県', '高知県'].map((name) => ({ name, region: '四国' as const })),
  ...['福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県'].map((name) => ({
    name,
    region: '九州・沖縄' as const,
  })),
];
export const COUNTRY = '全国';
export const AREA_LEVEL_NAMES = ['都道府県', '地方', '全国'] as const;

/** Level-0 code of a prefecture code "01"–"47" (its index). */
export function prefectureIndex(code: string): number {
  if (!isPrefectureCode(code))
    throw badInput('prefectureCode', '都道府県コードは "01"〜"47" の2桁で指定してください。');
  return Number(code) - 1;
}

export function regionOf(prefectureCode: string): Region {
  return PREFECTURES[prefectureIndex(prefectureCode)]!.region;
}

export function areaHierarchy(): Hierarchy {
  return buildHierarchy('area', '居住地域', { name: AREA_LEVEL_NAMES[0], labels: PREFECTURES.map((p) => p.name) }, [
    { name: AREA_LEVEL_NAMES[1], generalize: (c) => PREFECTURES[c]!.region },
    { name: AREA_LEVEL_NAMES[2], generalize: () => COUNTRY },
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Designated diseases → disease group → designated or not

/**
 * The 14 disease groups (疾患群) in the order they first appear in the list by disease number. A disease in several
 * groups is published under the first of its groups in this order. A fixed order rather than "the first row of the
 * file": the importer and the designated_diseases table keep a disease's groups as a sorted set, so the file's row
 * order is not available where the cohort is read, and a rule that does not depend on the list's contents keeps a
 * disease in the same group when later lists grow. Groups a later list adds come after these, in code-point order.
 */
export const DISEASE_GROUP_ORDER = [
  '神経・筋疾患',
  '代謝疾患',
  '皮膚・結合組織疾患',
  '免疫疾患',
  '循環器疾患',
  '血液疾患',
  '腎・泌尿器疾患',
  '骨・関節疾患',
  '内分泌疾患',
  '呼吸器疾患',
  '視覚疾患',
  '消化器疾患',
  '染色体・遺伝子異常',
  '聴覚・平衡機能疾患',
] as const;
export const NO_DESIGNATED_DISEASE = '指定難病なし';
export const HAS_DESIGNATED_DISEASE = '指定難病あり';
/** A client whose diseases fall into more than one group. */
export const SEVERAL_DISEASE_GROUPS = '複数の疾患群';
/** A disease number the table does not know (no list imported, or a number newer than the list). */
export const UNKNOWN_DISEASE_GROUP = '疾患群不明';
export const DISEASE_LEVEL_NAMES = ['疾患群', '指定難病の有無'] as const;

const groupRank = (g: string) => {
  const i = (DISEASE_GROUP_ORDER as readonly string[]).indexOf(g);
  return i < 0 ? DISEASE_GROUP_ORDER.length : i;
};
const byGroupOrder = (a: string, b: string) => groupRank(a) - groupRank(b) || (a < b ? -1 : a > b ? 1 : 0);

/** The group a disease listed in several groups is published under (see DISEASE_GROUP_ORDER). */
export function primaryDiseaseGroup(groups: readonly string[]): string | undefined {
  return [...groups].sort(byGroupOrder)[0];
}

/**
 * Disease number → the one group it is published under, from the parsed reference list
 * (parseDesignatedDiseaseList/readDesignatedDiseaseList) or the designated_diseases table's (number, groups).
 */
export class DiseaseGroupTable {
  private readonly byNumber = new Map<number, string>();
  /** Every group a published value may name, in DISEASE_GROUP_ORDER (then code-point order). */
  readonly groups: readonly string[];

  constructor(list: readonly { number: number; groups: readonly string[] }[]) {
    for (const d of list) {
      const g = primaryDiseaseGroup(d.groups);
      if (g !== undefined) this.byNumber.set(d.number, g);
    }
    this.groups = [...new Set([...DISEASE_GROUP_ORDER, ...this.byNumber.values()])].sort(byGroupOrder);
  }

  groupOf(number: number): string | undefined {
    return this.byNumber.get(number);
  }

  /**
   * The level-0 value of a client's disease numbers: none, the one group they all fall into, or "several groups". A
   * disease number itself is never a value: the group is the lowest level, so no rare disease is ever named.
   */
  valueOf(numbers: readonly number[]): string {
    if (numbers.some((n) => !Number.isInteger(n) || n < 1)) {
      throw badInput('designatedDiseaseNumbers', '指定難病の番号が正しくありません。');
    }
    if (numbers.length === 0) return NO_DESIGNATED_DISEASE;
    const groups = new Set(numbers.map((n) => this.groupOf(n) ?? UNKNOWN_DISEASE_GROUP));
    return groups.size === 1 ? [...groups][0]! : SEVERAL_DISEASE_GROUPS;
  }
}

export function diseaseHierarchy(table: DiseaseGroupTable): Hierarchy {
  const labels = [NO_DESIGNATED_DISEASE, ...table.groups, SEVERAL_DISEASE_GROUPS, UNKNOWN_DISEASE_GROUP];
  return buildHierarchy('disease', '指定難病', { name: DISEASE_LEVEL_NAMES[0], labels }, [
    { name: DISEASE_LEVEL_NAMES[1], generalize: (c) => (c === 0 ? NO_DESIGNATED_DISEASE : HAS_DESIGNATED_DISEASE) },
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Dates → month → quarter → fiscal year

/** The years a published date may fall in; an event date outside them is refused as a data error. */
export const DATE_FIRST_YEAR = 1980;
export const DATE_LAST_YEAR = 2099;
/** The value of a date that has not happened (no referral, no placement). */
export const NO_DATE = 'なし';
export const DATE_LEVEL_NAMES = ['月', '四半期', '年度'] as const;

/** Japan's fiscal year (年度, April to March) of a "YYYY-MM-DD" date: 2027-03-31 is in FY2026, 2027-04-01 in FY2027. */
export function fiscalYear(date: string): number {
  const y = Number(date.slice(0, 4));
  return Number(date.slice(5, 7)) >= 4 ? y : y - 1;
}

/** The quarter of the fiscal year: 1 = April–June … 4 = January–March. */
export function fiscalQuarter(date: string): number {
  return Math.floor(((Number(date.slice(5, 7)) + 8) % 12) / 3) + 1;
}

/** The published label of a date at a level (0: month, 1: fiscal quarter, 2: fiscal year); null is "なし". */
export function dateLabel(date: string | null, level: number): string {
  if (date === null) return NO_DATE;
  if (level === 0) return `${Number(date.slice(0, 4))}年${Number(date.slice(5, 7))}月`;
  if (level === 1) return `${fiscalYear(date)}年度第${fiscalQuarter(date)}四半期`;
  return `${fiscalYear(date)}年度`;
}

/** Level-0 codes: 0 = no date, then one per month from January of DATE_FIRST_YEAR. */
export function dateCode(field: string, date: string | null): number {
  if (date === null) return 0;
  if (!isIsoDate(date)) throw badInput(field, `${field} の日付の形式が正しくありません (YYYY-MM-DD)。`);
  const y = Number(date.slice(0, 4));
  if (y < DATE_FIRST_YEAR || y > DATE_LAST_YEAR) {
    throw badInput(field, `${field} は${DATE_FIRST_YEAR}年から${DATE_LAST_YEAR}年の日付で指定してください。`);
  }
  return 1 + (y - DATE_FIRST_YEAR) * 12 + Number(date.slice(5, 7)) - 1;
}

export function dateHierarchy(column: string, label: string): Hierarchy {
  const size = 1 + (DATE_LAST_YEAR - DATE_FIRST_YEAR + 1) * 12;
  const dateOf = (c: number) => {
    if (c === 0) return null;
    const y = DATE_FIRST_YEAR + Math.floor((c - 1) / 12);
    return `${y}-${String(((c - 1) % 12) + 1).padStart(2, '0')}-01`;
  };
  return buildHierarchy(
    column,
    label,
    { name: DATE_LEVEL_NAMES[0], labels: Array.from({ length: size }, (_, c) => dateLabel(dateOf(c), 0)) },
    DATE_LEVEL_NAMES.slice(1).map((name, i) => ({ name, generalize: (c: number) => dateLabel(dateOf(c), i + 1) })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Organization → organization kind → all

/**
 * Organizations are never published: their kind is level 0. Above it, every kind as one value, so that a kind with
 * few clients can be merged instead of suppressed (as 全国 does for prefectures).
 */
export const ALL_ORGANIZATION_KINDS = 'すべての機関種別';
export const ORGANIZATION_KIND_LEVEL_NAMES = ['機関種別', 'すべて'] as const;

export function organizationKindCode(kind: string): number {
  const i = (ORGANIZATION_KINDS as readonly string[]).indexOf(kind);
  if (i < 0) throw badInput('organizationKind', '機関種別の値が正しくありません。');
  return i;
}

export function organizationKindHierarchy(): Hierarchy {
  return buildHierarchy(
    'organizationKind',
    '機関種別',
    { name: ORGANIZATION_KIND_LEVEL_NAMES[0], labels: ORGANIZATION_KINDS.map((k) => ORGANIZATION_KIND_LABELS[k]) },
    [{ name: ORGANIZATION_KIND_LEVEL_NAMES[1], generalize: () => ALL_ORGANIZATION_KINDS }],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The export's schema: which quasi-identifiers, read how, and the outcome

/** A quasi-identifier: its hierarchy and how to read a record's level-0 code (throws badInput on a bad value). */
export interface QuasiIdentifier<R> {
  readonly hierarchy: Hierarchy;
  readonly code: (record: R) => number;
}

/** The sensitive attribute published as is and required to be ℓ-diverse in every class (e.g. 就職 / 未就職). */
export interface OutcomeAttribute<R> {
  readonly column: string;
  readonly label: string;
  readonly value: (record: R) => string;
}

export interface ExportSchema<R> {
  readonly quasiIdentifiers: readonly QuasiIdentifier<R>[];
  readonly outcome: OutcomeAttribute<R>;
}

/** The token column: a fresh random value per row per export, the only column that is not generalized data. */
export const TOKEN_COLUMN = { name: 'token', label: 'トークン' } as const;

/**
 * What the cohort query reads per client for the record-level export: raw quasi-identifiers and the outcome, no
 * identifier. `dates` holds the export's event dates by key (null when the event has not happened).
 */
export interface ExportSubject {
  birthDate: string;
  prefectureCode: string;
  designatedDiseaseNumbers: readonly number[];
  organizationKind: string;
  dates: Readonly<Record<string, string | null>>;
  outcome: string;
}

export interface SubjectSchemaOptions {
  /** The snapshot's date in Japan ("YYYY-MM-DD"), for ages. */
  snapshotDate: string;
  diseaseGroups: DiseaseGroupTable;
  /** The event dates to publish, in column order: the key in ExportSubject.dates is the column (e.g. referredOn). */
  dates: readonly { key: string; label: string }[];
  outcomeLabel?: string;
}

const OUTCOME_MAX = 50;

/**
 * A string → code function remembered per distinct string: a cohort has a few tens of thousands of distinct dates at
 * most (one per day), so 200,000 records check each date once instead of once per record.
 */
function remembered(code: (value: string) => number): (value: string) => number {
  const seen = new Map<string, number>();
  return (value) => {
    let c = seen.get(value);
    if (c === undefined) seen.set(value, (c = code(value)));
    return c;
  };
}

/** The record-level export's schema: age, area, disease, organization kind, the given dates, then the outcome. */
export function subjectSchema(opts: SubjectSchemaOptions): ExportSchema<ExportSubject> {
  const { diseaseGroups } = opts;
  const snapshotDate = assertSnapshotDate(opts.snapshotDate);
  const disease = diseaseHierarchy(diseaseGroups);
  const diseaseCode = new Map(disease.levels[0]!.labels.map((l, c) => [l, c]));
  const ageOfBirthDate = remembered((birthDate) => ageCode(completedYears(birthDate, snapshotDate)));
  const fixed: QuasiIdentifier<ExportSubject>[] = [
    { hierarchy: ageHierarchy(), code: (r) => ageOfBirthDate(r.birthDate) },
    { hierarchy: areaHierarchy(), code: (r) => prefectureIndex(r.prefectureCode) },
    { hierarchy: disease, code: (r) => diseaseCode.get(diseaseGroups.valueOf(r.designatedDiseaseNumbers))! },
    { hierarchy: organizationKindHierarchy(), code: (r) => organizationKindCode(r.organizationKind) },
  ];
  const taken = new Set([TOKEN_COLUMN.name, 'outcome', ...fixed.map((q) => q.hierarchy.column)]);
  const dates = opts.dates.map(({ key, label }): QuasiIdentifier<ExportSubject> => {
    if (!/^[a-z][A-Za-z0-9]{0,39}$/.test(key) || taken.has(key)) {
      throw badInput('dates', `日付の列名 "${key}" は使えません。`);
    }
    taken.add(key);
    const monthOf = remembered((date) => dateCode(key, date));
    return {
      hierarchy: dateHierarchy(key, label),
      code: (r) => {
        const date = r.dates[key] ?? null;
        return date === null ? dateCode(key, null) : monthOf(date);
      },
    };
  });
  return {
    quasiIdentifiers: [...fixed, ...dates],
    outcome: {
      column: 'outcome',
      label: opts.outcomeLabel ?? '支援結果',
      value: (r) => {
        const v = typeof r.outcome === 'string' ? r.outcome.normalize('NFC').trim() : '';
        if (!v || v.length > OUTCOME_MAX || !isPlainLine(v)) {
          throw badInput('outcome', `結果の値は1〜${OUTCOME_MAX}文字の1行で指定してください。`);
        }
        return v;
      },
    },
  };
}
