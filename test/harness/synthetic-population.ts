import { ORGANIZATION_KINDS, type ExportRandomness, type ExportSubject } from '@tasuki/domain';

/**
 * Synthetic cohorts for the anonymization's tests and benchmark: reproducible from a seed, and skewed where
 * anonymization is hard — very old clients, diseases with one to three cases, the smallest prefectures, most clients
 * in one prefecture, a dominant outcome.
 */

/** A small seeded PRNG (mulberry32): uniform doubles in [0, 1). Not for anything but tests. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An ExportRandomness from a seed, so that a test can repeat an export's order and tokens. */
export function seededRandomness(seed: number): ExportRandomness {
  const rnd = mulberry32(seed);
  const hex = () =>
    Math.floor(rnd() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return { randomInt: (max) => Math.floor(rnd() * max), token: () => `${hex()}${hex()}${hex()}${hex()}` };
}

export const SNAPSHOT_DATE = '2026-11-21';
export const DATES = [
  { key: 'referredOn', label: '紹介日' },
  { key: 'openedOn', label: '支援開始日' },
] as const;
export const OUTCOMES = ['就職', '未就職', '支援中', '中断'] as const;
/** Common 指定難病 (パーキンソン病, 多発性硬化症, SLE, クローン病, 潰瘍性大腸炎, ALS, 後縦靱帯骨化症, 網膜色素変性症). */
const COMMON_DISEASES = [6, 13, 49, 96, 97, 2, 69, 90];

export interface PopulationShape {
  size: number;
  seed: number;
  /** Percent of clients aged 85 to 105. */
  veryOldPercent: number;
  /** Percent of clients with a disease that has one to three cases in the cohort. */
  rareDiseasePercent: number;
  /** Percent of clients in 鳥取 (31) or 島根 (32). */
  smallPrefecturePercent: number;
  /** Percent of clients in 東京 (13). */
  concentratedPercent: number;
  /** How many outcome values occur (1–4). */
  outcomeValues: number;
  /** Percent of clients with the first outcome; the others share the rest. */
  dominantOutcomePercent: number;
  /** How many organization kinds occur (1–16). */
  organizationKinds: number;
  /** The years the event dates spread over, back from the snapshot. */
  dateYears: number;
  /** Percent of clients without the second date (support not started); the others start 0–60 days after referral. */
  noSecondDatePercent: number;
}

export const TYPICAL_SHAPE: Omit<PopulationShape, 'size' | 'seed'> = {
  veryOldPercent: 2,
  rareDiseasePercent: 3,
  smallPrefecturePercent: 2,
  concentratedPercent: 15,
  outcomeValues: 3,
  dominantOutcomePercent: 60,
  organizationKinds: 16,
  dateYears: 5,
  noSecondDatePercent: 10,
};

export type SyntheticSubject = ExportSubject & { id: string };

const pad = (n: number) => String(n).padStart(2, '0');

/** The cohort the shape describes, one subject at a time; `id` stands for the database id the export must not leak. */
export function* syntheticPopulation(
  shape: PopulationShape,
  diseaseNumbers: readonly number[],
): Generator<SyntheticSubject> {
  const rnd = mulberry32(shape.seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const percent = (p: number) => rnd() * 100 < p;
  const snapYear = Number(SNAPSHOT_DATE.slice(0, 4));
  const common = COMMON_DISEASES.filter((n) => diseaseNumbers.includes(n));
  const rare = diseaseNumbers.filter((n) => !common.includes(n));
  let rareCursor = pick(rare.length);
  let rareLeft = 0;
  const date = (yearsBack: number) => `${snapYear - pick(yearsBack + 1)}-${pad(1 + pick(10))}-${pad(1 + pick(28))}`;
  const daysAfter = (d: string, days: number) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

  for (let i = 0; i < shape.size; i++) {
    const id = Array.from({ length: 4 }, () =>
      Math.floor(rnd() * 2 ** 32)
        .toString(16)
        .padStart(8, '0'),
    ).join('-');
    const age = percent(shape.veryOldPercent)
      ? 85 + pick(20)
      : percent(1)
        ? 12 + pick(3)
        : 15 + Math.floor(rnd() * rnd() * 60);
    const leapDay = percent(1) && (snapYear - age - 1) % 4 === 0;
    const birthDate = leapDay
      ? `${snapYear - age - 1}-02-29`
      : `${snapYear - age - 1}-${pad(1 + pick(12))}-${pad(1 + pick(28))}`;
    const prefectureCode = percent(shape.smallPrefecturePercent)
      ? pick(2) === 0
        ? '31'
        : '32'
      : percent(shape.concentratedPercent)
        ? '13'
        : pad(1 + Math.floor(rnd() * rnd() * 47));
    let diseases: number[];
    if (percent(shape.rareDiseasePercent) && rare.length > 0) {
      if (rareLeft === 0) {
        rareCursor = (rareCursor + 1 + pick(7)) % rare.length;
        rareLeft = 1 + pick(3);
      }
      rareLeft--;
      diseases = [rare[rareCursor]!];
    } else if (percent(8) || common.length === 0) {
      diseases = [];
    } else {
      diseases = [common[Math.floor(rnd() * rnd() * common.length)]!];
    }
    if (percent(5) && diseaseNumbers.length > 0) diseases.push(diseaseNumbers[pick(diseaseNumbers.length)]!);
    const outcome =
      shape.outcomeValues <= 1 || percent(shape.dominantOutcomePercent)
        ? OUTCOMES[0]
        : OUTCOMES[1 + pick(Math.min(shape.outcomeValues, OUTCOMES.length) - 1)]!;
    const referredOn = date(shape.dateYears);
    yield {
      id,
      birthDate,
      prefectureCode,
      designatedDiseaseNumbers: [...new Set(diseases)].sort((a, b) => a - b),
      organizationKind: ORGANIZATION_KINDS[pick(Math.min(shape.organizationKinds, ORGANIZATION_KINDS.length))]!,
      dates: { referredOn, openedOn: percent(shape.noSecondDatePercent) ? null : daysAfter(referredOn, pick(61)) },
      outcome,
    };
  }
}
