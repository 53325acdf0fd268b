import { describe, expect, it } from '@jest/globals';
import {
  buildAggregateTables,
  certificateClass,
  type AggregateInput,
  type AggregateTable,
  type CrossTabCell,
} from './aggregate-tables.js';

const KIND = 'ハローワーク';
const ROUTE = 'ハローワーク → 難病相談支援センター';
const clients = (fiscalYear: string, region: string, certificate: string, count: number): CrossTabCell => ({
  values: { fiscalYear, region, certificate, organizationKind: KIND },
  count,
});
const placed = (fiscalYear: string, region: string, states: [string, string, string], count: number): CrossTabCell => ({
  values: {
    fiscalYear,
    region,
    certificate: '手帳なし・指定難病あり',
    organizationKind: KIND,
    retention3: states[0],
    retention6: states[1],
    retention12: states[2],
  },
  count,
});
const referred = (result: string, count: number): CrossTabCell => ({
  values: { fiscalYear: '2025年度', route: ROUTE, region: '関東', certificate: '手帳なし・指定難病あり', result },
  count,
});

const input: AggregateInput = {
  fiscalYears: ['2024年度', '2025年度', '2026年度'],
  newClients: [
    clients('2025年度', '関東', '手帳なし・指定難病あり', 40),
    clients('2025年度', '近畿', '手帳なし・指定難病あり', 30),
    clients('2026年度', '関東', '精神障害者保健福祉手帳', 25),
    clients('2026年度', '近畿', '手帳なし・指定難病あり', 20),
  ],
  placements: [
    placed('2025年度', '関東', ['定着', '定着', '定着'], 30),
    placed('2025年度', '関東', ['離職', '離職', '離職'], 12),
    placed('2025年度', '近畿', ['定着', '定着', '未到来'], 15),
    placed('2026年度', '近畿', ['定着', '未到来', '未到来'], 12),
  ],
  referrals: [referred('受諾', 30), referred('辞退', 10)],
  leadTimes: [
    { route: ROUTE, answered: 40, medianDays: 3.25 },
    { route: null, answered: 40, medianDays: 3.25 },
  ],
};

const byName = (tables: AggregateTable[], name: string) => tables.find((t) => t.name === name)!;

describe('the aggregate tables', () => {
  const tables = buildAggregateTables(input);

  it('cross-tabulates each measure by fiscal year and one dimension, with margins, every year shown', () => {
    const t = byName(tables, 'newClients.fiscalYear.region');
    expect(t).toMatchObject({
      kind: 'COUNT',
      unit: '人',
      rows: ['2024年度', '2025年度', '2026年度', '合計'],
      columns: ['関東', '近畿', '合計'],
      cells: [
        [0, 0, 0],
        [40, 30, 70],
        [25, 20, 45],
        [65, 50, 115],
      ],
    });
    // Values without any count are left out; the designated-disease-without-certificate class is its own column.
    expect(byName(tables, 'newClients.fiscalYear.certificate').columns).toEqual([
      '精神障害者保健福祉手帳',
      '手帳なし・指定難病あり',
      '合計',
    ]);
  });

  it('suppresses a small count with its complements, in every table that shares it, and rates from them', () => {
    const small = buildAggregateTables({
      ...input,
      placements: [...input.placements.slice(0, 3), placed('2026年度', '近畿', ['定着', '未到来', '未到来'], 3)],
    });
    // 2026年度 has 3 placements: suppressed in every table of the measure, with the year's total.
    expect(byName(small, 'placements.fiscalYear.region').cells[2]).toEqual([0, null, null]);
    expect(byName(small, 'placements.fiscalYear.retention3').cells[2]!.at(-1)).toBeNull();
    expect(byName(small, 'placements.fiscalYear.certificate').cells[2]).toEqual([null, null]);
    for (const t of small.filter((x) => x.kind === 'COUNT')) {
      for (const v of t.cells.flat()) if (v !== null) expect(v === 0 || v >= 10).toBe(true);
    }
    // No rate from a suppressed count.
    expect(byName(small, 'employmentRate.fiscalYear.region').cells[2]).toEqual([0, null, null]);
  });

  it('computes rates from published counts only: 就職率 per cell, 定着率 per year and horizon, 受諾率', () => {
    const employment = byName(tables, 'employmentRate.fiscalYear.region');
    // Placements of clients who came in an earlier year count too: over 100% is possible.
    expect(employment.cells.slice(1)).toEqual([
      [105, 50, 81.4],
      [0, 60, 26.7],
      [64.6, 54, 60],
    ]);
    const retention = byName(tables, 'retentionRate.fiscalYear.months');
    expect(retention.columns).toEqual(['3か月', '6か月', '12か月']);
    // A horizon not reached by any placement of the year has no rate.
    expect(retention.cells.slice(1)).toEqual([
      [78.9, 78.9, 71.4],
      [100, null, null],
      [82.6, 78.9, 71.4],
    ]);
    expect(byName(tables, 'acceptanceRate.route').cells).toEqual([[75], [75]]);
  });

  it('publishes a median lead time only over ten answers or more', () => {
    expect(byName(tables, 'leadTime.route').cells).toEqual([[3.3], [3.3]]);
    const few = buildAggregateTables({ ...input, leadTimes: [{ route: ROUTE, answered: 9, medianDays: 2 }] });
    expect(byName(few, 'leadTime.route').cells).toEqual([[null], [null]]);
  });

  it('classes a certificate, with "designated disease, no certificate" apart', () => {
    expect(certificateClass('MENTAL', true)).toBe('精神障害者保健福祉手帳');
    expect(certificateClass('NONE', true)).toBe('手帳なし・指定難病あり');
    expect(certificateClass('NONE', false)).toBe('手帳なし・指定難病なし');
    expect(certificateClass(null, true)).toBe('手帳の記録なし');
  });
});
