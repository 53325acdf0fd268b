import { describe, expect, it } from '@jest/globals';
import { addBusinessDays, isBusinessDay, japanDate } from './business-days.js';

describe('Japanese business days', () => {
  it('skips Golden Week 2027: Friday 30 April + 5 is Wednesday 12 May (weekend, 5/3–5/5 and weekend again)', () => {
    expect(addBusinessDays('2027-04-30', 1)).toBe('2027-05-06');
    expect(addBusinessDays('2027-04-30', 5)).toBe('2027-05-12');
    expect(['2027-05-01', '2027-05-02', '2027-05-03', '2027-05-04', '2027-05-05'].filter(isBusinessDay)).toEqual([]);
  });

  it('skips Golden Week 2026 with its 振替休日: 5/3 is a Sunday, so Wednesday 5/6 is a holiday too', () => {
    expect(isBusinessDay('2026-05-06')).toBe(false);
    expect(addBusinessDays('2026-05-01', 1)).toBe('2026-05-07');
    expect(addBusinessDays('2026-05-01', 5)).toBe('2026-05-13');
    // The Friday a week before: 昭和の日 (Wednesday 4/29) falls inside the five days.
    expect(addBusinessDays('2026-04-24', 5)).toBe('2026-05-07');
  });

  it('skips a 国民の休日 between two holidays (Tuesday 22 September 2026) and 海の日, a Monday holiday', () => {
    expect(isBusinessDay('2026-09-22')).toBe(false);
    expect(addBusinessDays('2026-09-18', 1)).toBe('2026-09-24');
    expect(addBusinessDays('2027-07-16', 1)).toBe('2027-07-20');
  });

  it('skips the year-end closure of public offices (12/29–1/3), though only 1/1 is a national holiday', () => {
    expect(['2027-12-29', '2027-12-30', '2027-12-31', '2028-01-03'].some(isBusinessDay)).toBe(false);
    expect(addBusinessDays('2027-12-24', 5)).toBe('2028-01-06');
    expect(addBusinessDays('2027-12-28', 1)).toBe('2028-01-04');
  });

  it('counts from the day after: an ordinary week is five days (a Monday holiday adds one), zero days is the same day', () => {
    expect(addBusinessDays('2026-10-16', 5)).toBe('2026-10-23');
    // 勤労感謝の日 is Monday 23 November 2026.
    expect(addBusinessDays('2026-11-20', 5)).toBe('2026-11-30');
    expect(addBusinessDays('2026-11-21', 0)).toBe('2026-11-21');
  });

  it('takes today in Japan, which is a day ahead of UTC from 15:00 UTC', () => {
    expect(japanDate(new Date('2027-04-29T14:59:59Z'))).toBe('2027-04-29');
    expect(japanDate(new Date('2027-04-29T15:00:00Z'))).toBe('2027-04-30');
  });
});
