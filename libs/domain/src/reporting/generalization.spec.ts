import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AppError } from '@tasuki/platform';
import { ORGANIZATION_KIND_LABELS, ORGANIZATION_KINDS } from '../organizations/organization.model.js';
import { readDesignatedDiseaseList } from '../reference/designated-diseases.importer.js';
import {
  ageCode,
  ageHierarchy,
  ageInYears,
  ageLabel,
  areaHierarchy,
  dateCode,
  dateHierarchy,
  dateLabel,
  DISEASE_GROUP_ORDER,
  diseaseHierarchy,
  DiseaseGroupTable,
  fiscalQuarter,
  fiscalYear,
  labelAt,
  organizationKindCode,
  organizationKindHierarchy,
  PREFECTURES,
  regionOf,
  subjectSchema,
  type Hierarchy,
} from './generalization.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof AppError ? { code: err.code, field: err.field } : err;
  }
  return 'no error';
};

/** Each level is a function of the one below: two level-0 codes together at a level stay together above it. */
function expectNested(h: Hierarchy) {
  for (let level = 1; level < h.levels.length; level++) {
    const above = new Map<number, number>();
    for (let c = 0; c < h.size; c++) {
      const below = h.levels[level - 1]!.codeOf[c]!;
      const code = h.levels[level]!.codeOf[c]!;
      expect({ level, c, code: above.get(below) ?? code }).toEqual({ level, c, code });
      above.set(below, code);
    }
  }
}

describe('age', () => {
  it('counts completed years in the Japanese way, the day of the birthday included', () => {
    expect(ageInYears('1990-11-21', '2026-11-20')).toBe(35);
    expect(ageInYears('1990-11-21', '2026-11-21')).toBe(36);
    expect(ageInYears('2026-11-21', '2026-11-21')).toBe(0);
  });

  it('has a 29 February birthday counted on 1 March in common years and on 29 February in leap years', () => {
    expect(ageInYears('2000-02-29', '2001-02-28')).toBe(0);
    expect(ageInYears('2000-02-29', '2001-03-01')).toBe(1);
    expect(ageInYears('2000-02-29', '2004-02-28')).toBe(3);
    expect(ageInYears('2000-02-29', '2004-02-29')).toBe(4);
    expect(ageInYears('1999-03-01', '2000-02-29')).toBe(0);
  });

  it('refuses a birth date after the snapshot, or a date that does not exist', () => {
    expect(refusal(() => ageInYears('2026-11-22', '2026-11-21'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'birthDate',
    });
    expect(refusal(() => ageInYears('2001-02-29', '2026-11-21'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'birthDate',
    });
    expect(refusal(() => ageInYears('2000-01-01', '2026-13-01'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'snapshotDate',
    });
  });

  it('publishes 84 as itself or in its band, and 85 and over as 85歳以上 up to the broad 65歳以上', () => {
    expect([0, 1, 2, 3].map((l) => ageLabel(84, l))).toEqual(['84歳', '80〜84歳', '75〜84歳', '65歳以上']);
    for (const age of [85, 86, 99, 105, 120]) {
      expect([0, 1, 2, 3].map((l) => ageLabel(age, l))).toEqual(['85歳以上', '85歳以上', '85歳以上', '65歳以上']);
    }
    expect([0, 1, 2, 3].map((l) => ageLabel(14, l))).toEqual(['15歳未満', '15歳未満', '15歳未満', '34歳以下']);
  });

  it('bands by 5 and 10 years from 15, and broadly up to 34, 35–64, 65 and over', () => {
    expect([15, 19, 20, 44, 45].map((a) => ageLabel(a, 1))).toEqual([
      '15〜19歳',
      '15〜19歳',
      '20〜24歳',
      '40〜44歳',
      '45〜49歳',
    ]);
    expect([15, 24, 25, 74, 75].map((a) => ageLabel(a, 2))).toEqual([
      '15〜24歳',
      '15〜24歳',
      '25〜34歳',
      '65〜74歳',
      '75〜84歳',
    ]);
    expect([15, 34, 35, 64, 65].map((a) => ageLabel(a, 3))).toEqual([
      '34歳以下',
      '34歳以下',
      '35〜64歳',
      '35〜64歳',
      '65歳以上',
    ]);
  });

  it('nests its levels and names no age above 84 at any level', () => {
    const h = ageHierarchy();
    expectNested(h);
    expect(h.levels.map((l) => l.name)).toEqual(['各歳', '5歳階級', '10歳階級', '大区分']);
    for (const level of h.levels) {
      for (const label of level.labels) {
        const numbers = (label.match(/\d+/g) ?? []).map(Number);
        expect({ label, ok: label === '85歳以上' || numbers.every((n) => n <= 84) }).toEqual({ label, ok: true });
      }
    }
    expect(labelAt(h, ageCode(105), 0)).toBe('85歳以上');
    expect(labelAt(h, ageCode(3), 0)).toBe('15歳未満');
    expect(labelAt(h, ageCode(42), 2)).toBe('35〜44歳');
  });
});

describe('prefecture → region → country', () => {
  // 八地方区分, as JIS X 0401 code ranges.
  const REGION_RANGES: [number, number, string][] = [
    [1, 1, '北海道'],
    [2, 7, '東北'],
    [8, 14, '関東'],
    [15, 23, '中部'],
    [24, 30, '近畿'],
    [31, 35, '中国'],
    [36, 39, '四国'],
    [40, 47, '九州・沖縄'],
  ];

  it('maps each of the 47 prefectures to its region of the eight', () => {
    for (let code = 1; code <= 47; code++) {
      const expected = REGION_RANGES.find(([lo, hi]) => code >= lo && code <= hi)![2];
      const pref = String(code).padStart(2, '0');
      expect({ pref, region: regionOf(pref) }).toEqual({ pref, region: expected });
    }
  });

  it('names the prefectures and generalizes them to 全国', () => {
    expect(PREFECTURES).toHaveLength(47);
    expect(new Set(PREFECTURES.map((p) => p.name)).size).toBe(47);
    const h = areaHierarchy();
    expectNested(h);
    const code = (pref: string) => Number(pref) - 1;
    expect(['13', '31', '32', '24', '47'].map((p) => labelAt(h, code(p), 0))).toEqual([
      '東京都',
      '鳥取県',
      '島根県',
      '三重県',
      '沖縄県',
    ]);
    expect(['31', '32'].map((p) => labelAt(h, code(p), 1))).toEqual(['中国', '中国']);
    expect(h.levels[2]!.labels).toEqual(['全国']);
  });

  it('refuses a code outside 01–47', () => {
    for (const bad of ['00', '48', '1', '１３']) {
      expect(refusal(() => regionOf(bad))).toEqual({ code: 'BAD_USER_INPUT', field: 'prefectureCode' });
    }
  });
});

describe('designated diseases → disease group → designated or not', () => {
  // As the importer and the designated_diseases table keep them: groups sorted.
  const table = new DiseaseGroupTable([
    { number: 1, groups: ['神経・筋疾患'] },
    { number: 2, groups: ['神経・筋疾患'] },
    { number: 96, groups: ['消化器疾患'] },
    { number: 306, groups: ['免疫疾患', '聴覚・平衡機能疾患'] },
    { number: 348, groups: ['神経・筋疾患', '腎・泌尿器疾患', '視覚疾患'].sort() },
  ]);

  it('puts a disease of several groups in the first of them in the list order of the groups', () => {
    expect(table.groupOf(306)).toBe('免疫疾患');
    expect(table.groupOf(348)).toBe('神経・筋疾患');
    const shuffled = new DiseaseGroupTable([{ number: 348, groups: ['視覚疾患', '腎・泌尿器疾患', '神経・筋疾患'] }]);
    expect(shuffled.groupOf(348)).toBe('神経・筋疾患');
  });

  it('gives a client none, the one group of all their diseases, several groups, or an unknown group', () => {
    expect(table.valueOf([])).toBe('指定難病なし');
    expect(table.valueOf([1, 2, 348])).toBe('神経・筋疾患');
    expect(table.valueOf([96])).toBe('消化器疾患');
    expect(table.valueOf([1, 96])).toBe('複数の疾患群');
    expect(table.valueOf([5000])).toBe('疾患群不明');
    expect(refusal(() => table.valueOf([1.5]))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'designatedDiseaseNumbers',
    });
  });

  it('never names a disease: no number at any level, and designated or not on top', () => {
    const h = diseaseHierarchy(table);
    expectNested(h);
    for (const level of h.levels) for (const label of level.labels) expect(label).not.toMatch(/\d/);
    expect(h.levels[1]!.labels).toEqual(['指定難病なし', '指定難病あり']);
    expect(h.levels[0]!.labels.slice(1, 15)).toEqual([...DISEASE_GROUP_ORDER]);
  });

  const REFERENCE = join(process.cwd(), '..', 'shared', 'reference');
  (existsSync(REFERENCE) ? it : it.skip)(
    'knows every group of ../shared/reference and places every number',
    async () => {
      const list = await readDesignatedDiseaseList(REFERENCE);
      const real = new DiseaseGroupTable(list);
      const groups = new Set(list.flatMap((d) => d.groups));
      expect([...groups].sort()).toEqual([...DISEASE_GROUP_ORDER].sort());
      for (const d of list) {
        const g = real.groupOf(d.number);
        expect({ n: d.number, ok: g !== undefined && d.groups.includes(g) }).toEqual({ n: d.number, ok: true });
      }
      const several = list.filter((d) => d.groups.length > 1).map((d) => [d.number, real.groupOf(d.number)]);
      expect(several).toEqual([
        [303, '視覚疾患'],
        [306, '免疫疾患'],
        [330, '呼吸器疾患'],
        [343, '神経・筋疾患'],
        [345, '免疫疾患'],
        [348, '神経・筋疾患'],
      ]);
    },
  );
});

describe('dates → month → quarter → fiscal year', () => {
  it('starts the fiscal year on 1 April', () => {
    expect(fiscalYear('2026-03-31')).toBe(2025);
    expect(fiscalYear('2026-04-01')).toBe(2026);
    expect(fiscalYear('2027-03-31')).toBe(2026);
    expect([0, 1, 2].map((l) => dateLabel('2026-03-31', l))).toEqual(['2026年3月', '2025年度第4四半期', '2025年度']);
    expect([0, 1, 2].map((l) => dateLabel('2026-04-01', l))).toEqual(['2026年4月', '2026年度第1四半期', '2026年度']);
  });

  it('counts quarters from April', () => {
    const q = ['04-01', '06-30', '07-01', '09-30', '10-01', '12-31', '01-01', '03-31'].map((d) =>
      fiscalQuarter(`2026-${d}`),
    );
    expect(q).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('publishes a missing date as なし at every level, and nests its levels', () => {
    const h = dateHierarchy('referredOn', '紹介日');
    expectNested(h);
    expect([0, 1, 2].map((l) => labelAt(h, dateCode('referredOn', null), l))).toEqual(['なし', 'なし', 'なし']);
    const code = dateCode('referredOn', '2027-01-15');
    expect([0, 1, 2].map((l) => labelAt(h, code, l))).toEqual(['2027年1月', '2026年度第4四半期', '2026年度']);
  });

  it('refuses dates that do not exist or lie outside 1980–2099', () => {
    expect(dateCode('d', '1980-01-01')).toBe(1);
    expect(dateCode('d', '2099-12-31')).toBe(120 * 12);
    for (const bad of ['1979-12-31', '2100-01-01', '2026-02-29', '2026/04/01']) {
      expect(refusal(() => dateCode('d', bad))).toEqual({ code: 'BAD_USER_INPUT', field: 'd' });
    }
  });
});

describe('organization kind', () => {
  it('publishes the kind (never the organization) and then every kind as one', () => {
    const h = organizationKindHierarchy();
    expect(ORGANIZATION_KINDS.map((k) => labelAt(h, organizationKindCode(k), 0))).toEqual(
      ORGANIZATION_KINDS.map((k) => ORGANIZATION_KIND_LABELS[k]),
    );
    expect(h.levels[1]!.labels).toEqual(['すべての機関種別']);
    expect(refusal(() => organizationKindCode('ACME'))).toEqual({ code: 'BAD_USER_INPUT', field: 'organizationKind' });
  });
});

describe('the subject schema', () => {
  const base = { snapshotDate: '2026-11-21', diseaseGroups: new DiseaseGroupTable([]) };

  it('publishes age, area, disease, organization kind, the dates asked for, then the outcome', () => {
    const schema = subjectSchema({ ...base, dates: [{ key: 'referredOn', label: '紹介日' }] });
    expect(schema.quasiIdentifiers.map((q) => q.hierarchy.column)).toEqual([
      'age',
      'area',
      'disease',
      'organizationKind',
      'referredOn',
    ]);
    expect(schema.outcome.column).toBe('outcome');
  });

  it('refuses a date column that is not an identifier or takes another column', () => {
    for (const key of ['age', 'token', 'outcome', 'Referred', 'referred-on', '']) {
      expect(refusal(() => subjectSchema({ ...base, dates: [{ key, label: 'x' }] }))).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'dates',
      });
    }
    expect(refusal(() => subjectSchema({ ...base, snapshotDate: '2026-02-30', dates: [] }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'snapshotDate',
    });
  });

  it('refuses an empty or multi-line outcome', () => {
    const { outcome } = subjectSchema({ ...base, dates: [] });
    const subject = {
      birthDate: '1990-01-01',
      prefectureCode: '13',
      designatedDiseaseNumbers: [],
      organizationKind: 'NPO',
      dates: {},
    };
    expect(outcome.value({ ...subject, outcome: ' 就職 ' })).toBe('就職');
    for (const bad of ['', '  ', '就職\n未就職', 'x'.repeat(51)]) {
      expect(refusal(() => outcome.value({ ...subject, outcome: bad }))).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'outcome',
      });
    }
  });
});
