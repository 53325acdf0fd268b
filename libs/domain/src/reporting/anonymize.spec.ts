import { describe, expect, it } from '@jest/globals';
import { AppError } from '@tasuki/platform';
import {
  anonymize,
  planAnonymization,
  RecordEncoder,
  encodeRecords,
  type ExportRandomness,
  type PublishedRow,
} from './anonymize.js';
import { DiseaseGroupTable, subjectSchema, type ExportSubject } from './generalization.js';

const table = new DiseaseGroupTable([
  { number: 1, groups: ['神経・筋疾患'] },
  { number: 96, groups: ['消化器疾患'] },
]);
const schema = subjectSchema({
  snapshotDate: '2026-11-21',
  diseaseGroups: table,
  dates: [{ key: 'referredOn', label: '紹介日' }],
});

/** A 41-year-old in 東京 with disease 1, at a ハローワーク, referred in April 2026. */
const subject = (over: Partial<ExportSubject> = {}): ExportSubject => ({
  birthDate: '1985-01-10',
  prefectureCode: '13',
  designatedDiseaseNumbers: [1],
  organizationKind: 'HELLO_WORK',
  dates: { referredOn: '2026-04-15' },
  outcome: '就職',
  ...over,
});
const times = (n: number, make: (i: number) => ExportSubject) => Array.from({ length: n }, (_, i) => make(i));
const alternating = (i: number) => (i % 2 === 0 ? '就職' : '未就職');
const levels = (r: ReturnType<typeof anonymize>) => r.metadata.node.map((n) => n.level);
const strip = ({ token: _token, ...rest }: PublishedRow) => rest;

function refusal(f: () => unknown) {
  try {
    f();
  } catch (err) {
    return err instanceof AppError ? { code: err.code, field: err.field, message: err.message } : err;
  }
  return 'no error';
}

/** Deterministic randomness for tests: a counter as the token, a fixed LCG for the order. */
function fakeRandomness(seed: number): ExportRandomness {
  let state = seed;
  let tokens = 0;
  return {
    randomInt: (max) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % max;
    },
    token: () => `t${seed}-${tokens++}`,
  };
}

describe('settings', () => {
  const untouched: Iterable<ExportSubject> = {
    [Symbol.iterator]: () => {
      throw new Error('records read before the settings were checked');
    },
  };

  it('refuses k below 3 before reading any record', () => {
    for (const k of [2, 0, -5, 4.5, NaN]) {
      expect(refusal(() => anonymize(untouched, schema, { k }))).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'k',
        message: 'k は3以上の整数で指定してください。',
      });
    }
  });

  it('refuses ℓ below 2 or above k, and a suppression bound above 5%', () => {
    for (const o of [{ l: 1 }, { l: 6 }, { k: 3, l: 4 }]) {
      expect(refusal(() => anonymize(untouched, schema, o))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'l' });
    }
    for (const maxSuppressionRate of [0.06, -0.01, NaN]) {
      expect(refusal(() => anonymize(untouched, schema, { maxSuppressionRate }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'maxSuppressionRate',
      });
    }
  });
});

describe('the lattice search', () => {
  it('keeps everything exact when the cohort is already k-anonymous and 2-diverse', () => {
    const r = anonymize(
      times(10, (i) => subject({ outcome: alternating(i) })),
      schema,
    );
    expect(levels(r)).toEqual([0, 0, 0, 0, 0]);
    expect(r.metadata).toMatchObject({ suppressedCount: 0, rowCount: 10, classCount: 1, suppressionBoundHeld: true });
    expect(strip(r.rows[0]!)).toMatchObject({
      age: '41歳',
      area: '東京都',
      disease: '神経・筋疾患',
      organizationKind: 'ハローワーク',
      referredOn: '2026年4月',
    });
  });

  it('generalizes only the attribute that needs it, and only as far as needed', () => {
    // Ages 40–49 once each, twice: exact ages are classes of 2, 5-year bands classes of 10.
    const cohort = times(20, (i) => subject({ birthDate: `${1977 + (i % 10)}-01-10`, outcome: alternating(i >> 1) }));
    const r = anonymize(cohort, schema);
    expect(r.metadata.node.map((n) => [n.column, n.level, n.levelName])).toEqual([
      ['age', 1, '5歳階級'],
      ['area', 0, '都道府県'],
      ['disease', 0, '疾患群'],
      ['organizationKind', 0, '機関種別'],
      ['referredOn', 0, '月'],
    ]);
    expect(new Set(r.rows.map((row) => row.age))).toEqual(new Set(['40〜44歳', '45〜49歳']));
  });

  it('suppresses an outlier rather than generalizing everyone, within 5%', () => {
    const cohort = [
      ...times(100, (i) => subject({ outcome: alternating(i) })),
      subject({ birthDate: '1921-05-05', prefectureCode: '31', designatedDiseaseNumbers: [96] }),
    ];
    const r = anonymize(cohort, schema);
    expect(levels(r)).toEqual([0, 0, 0, 0, 0]);
    expect(r.metadata).toMatchObject({
      cohortCount: 101,
      rowCount: 100,
      suppressedCount: 1,
      suppressedForK: 1,
      maxSuppressed: 5,
      suppressionBoundHeld: true,
      shortfall: null,
    });
    expect(r.rows.some((row) => row.area === '鳥取県' || row.age === '85歳以上')).toBe(false);
  });

  it('suppresses a class of k rows with one outcome (ℓ-diversity) when that stays within 5%', () => {
    const cohort = [
      ...times(95, (i) => subject({ outcome: alternating(i) })),
      ...times(5, () => subject({ prefectureCode: '31' })),
    ];
    const r = anonymize(cohort, schema);
    expect(levels(r)).toEqual([0, 0, 0, 0, 0]);
    expect(r.metadata).toMatchObject({ suppressedCount: 5, suppressedForK: 0, suppressedForL: 5 });
  });

  it('generalizes instead when the classes failing ℓ would take more than 5%', () => {
    const cohort = [
      ...times(90, (i) => subject({ outcome: alternating(i) })),
      ...times(10, () => subject({ prefectureCode: '31' })),
      ...times(10, () => subject({ prefectureCode: '32', outcome: '未就職' })),
    ];
    const r = anonymize(cohort, schema);
    expect(levels(r)).toEqual([0, 1, 0, 0, 0]);
    expect(r.metadata).toMatchObject({ suppressedCount: 0, classCount: 2 });
    expect(new Set(r.rows.map((row) => row.area))).toEqual(new Set(['関東', '中国']));
  });

  it('chooses the same node whatever the order of the records', () => {
    const cohort = times(300, (i) =>
      subject({
        birthDate: `${1950 + (i % 37)}-0${1 + (i % 9)}-1${i % 7}`,
        prefectureCode: String(1 + ((i * 7) % 47)).padStart(2, '0'),
        designatedDiseaseNumbers: i % 5 === 0 ? [] : [1 + (i % 3) * 95],
        dates: { referredOn: `202${i % 6}-0${1 + (i % 9)}-01` },
        outcome: ['就職', '未就職', '支援中'][i % 3]!,
      }),
    );
    const a = anonymize(cohort, schema);
    const b = anonymize([...cohort].reverse(), schema);
    expect(b.metadata).toEqual(a.metadata);
  });
});

describe('when the bound cannot hold', () => {
  it('publishes nothing from an empty cohort, and says the bound held', () => {
    const r = anonymize([], schema);
    expect(r.rows).toEqual([]);
    expect(r.metadata).toMatchObject({ cohortCount: 0, rowCount: 0, suppressionBoundHeld: true, shortfall: null });
  });

  it('says so when the cohort is smaller than k', () => {
    const r = anonymize(
      times(4, (i) => subject({ outcome: alternating(i) })),
      schema,
    );
    expect(r.rows).toEqual([]);
    expect(levels(r)).toEqual([3, 2, 1, 1, 2]);
    expect(r.metadata).toMatchObject({
      suppressedCount: 4,
      suppressionBoundHeld: false,
      shortfall: { code: 'FEWER_ROWS_THAN_K', message: '対象者が 4 人で k = 5 に満たないため、行を公表できません。' },
    });
  });

  it('says so when the whole cohort has fewer outcome values than ℓ', () => {
    const r = anonymize(
      times(50, () => subject()),
      schema,
    );
    expect(r.rows).toEqual([]);
    expect(r.metadata.shortfall).toMatchObject({ code: 'FEWER_OUTCOMES_THAN_L', suppressedAtTop: 50 });
  });

  it('says why when a quasi-identifier gives the outcome away', () => {
    // The placement date as a quasi-identifier with "placed or not" as the outcome: なし ⇔ 未就職 in every class.
    const withPlacement = subjectSchema({
      snapshotDate: '2026-11-21',
      diseaseGroups: table,
      dates: [{ key: 'placedOn', label: '就職日' }],
    });
    const cohort = times(200, (i) =>
      subject({ dates: { placedOn: i % 2 ? '2026-06-01' : null }, outcome: i % 2 ? '就職' : '未就職' }),
    );
    const r = anonymize(cohort, withPlacement);
    expect(r.rows).toEqual([]);
    expect(r.metadata).toMatchObject({ suppressedForK: 0, suppressedForL: 200, suppressionBoundHeld: false });
    expect(r.metadata.shortfall).toEqual({
      code: 'TOP_NODE_OVER_LIMIT',
      suppressedAtTop: 200,
      maxSuppressed: 10,
      message:
        '最も粗い一般化でも 200 行（全 200 行のうち、5 行未満の区分で 0 行、結果が 2 種類未満の区分で 200 行）を' +
        '削除する必要があり、上限の 10 行（5%）を超えます。',
    });
  });

  it('allows floor(5%) of the rows: one of 20, none of 19 (then 沖縄 joins 東京 only at 全国)', () => {
    const cohort = (n: number) => [
      ...times(n - 1, (i) => subject({ outcome: alternating(i) })),
      subject({ prefectureCode: '47' }),
    ];
    expect(anonymize(cohort(20), schema).metadata).toMatchObject({ maxSuppressed: 1, suppressedCount: 1 });
    const small = anonymize(cohort(19), schema).metadata;
    expect(small).toMatchObject({ maxSuppressed: 0, suppressedCount: 0, suppressionBoundHeld: true });
    expect(small.node.map((n) => n.level)).toEqual([0, 2, 0, 0, 0]);
  });
});

describe('publishing', () => {
  const cohort = times(40, (i) => subject({ birthDate: `${1980 + (i % 4)}-06-01`, outcome: alternating(i >> 2) }));

  it('publishes the allowlisted columns only, in the order the metadata lists them', () => {
    const r = anonymize(cohort, schema);
    const columns = r.metadata.columns.map((c) => c.name);
    expect(columns).toEqual(['token', 'age', 'area', 'disease', 'organizationKind', 'referredOn', 'outcome']);
    expect(r.metadata.columns.map((c) => c.label)).toEqual([
      'トークン',
      '年齢',
      '居住地域',
      '指定難病',
      '機関種別',
      '紹介日',
      '支援結果',
    ]);
    for (const row of r.rows) expect(Object.keys(row)).toEqual(columns);
  });

  it('gives every row a fresh UUID, different in every export of the same cohort', () => {
    const a = anonymize(cohort, schema).rows.map((r) => r.token);
    const b = anonymize(cohort, schema).rows.map((r) => r.token);
    for (const t of a) expect(t).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([...a, ...b]).size).toBe(80);
  });

  it('shuffles with the injected randomness: the same seed repeats the export, another reorders it', () => {
    const a = anonymize(cohort, schema, { random: fakeRandomness(1) }).rows;
    const again = anonymize(cohort, schema, { random: fakeRandomness(1) }).rows;
    const other = anonymize(cohort, schema, { random: fakeRandomness(2) }).rows;
    expect(again).toEqual(a);
    expect(other.map(strip)).not.toEqual(a.map(strip));
    const sorted = (rows: PublishedRow[]) => rows.map((r) => JSON.stringify(strip(r))).sort();
    expect(sorted(other)).toEqual(sorted(a));
    expect(a[0]!.token).toBe('t1-0');
  });
});

describe('encoding', () => {
  it('refuses a record with a bad value and keeps the rows before it whole', () => {
    const encoder = new RecordEncoder(schema);
    encoder.add(subject());
    expect(refusal(() => encoder.add(subject({ prefectureCode: '48' })))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'prefectureCode',
    });
    expect(refusal(() => encoder.add(subject({ dates: { referredOn: '2026-02-30' } })))).toMatchObject({
      field: 'referredOn',
    });
    encoder.add(subject({ outcome: '未就職' }));
    const enc = encoder.finish();
    expect(enc.size).toBe(2);
    expect(enc.outcomeValues).toEqual(['就職', '未就職']);
  });

  it('grows past its first capacity and keeps every row', () => {
    const enc = encodeRecords(
      schema,
      times(3000, (i) => subject({ outcome: String(i % 7) })),
    );
    expect(enc.size).toBe(3000);
    expect(planAnonymization(enc).metadata).toMatchObject({ rowCount: 3000, suppressedCount: 0 });
  });

  it('refuses more than 32 outcome values', () => {
    expect(
      refusal(() =>
        encodeRecords(
          schema,
          times(33, (i) => subject({ outcome: `結果${i}` })),
        ),
      ),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'outcome',
      message: '結果の値は32種類までです。',
    });
  });
});
