import { describe, expect, it } from '@jest/globals';
import {
  assertOneOf,
  cleanLine,
  cleanText,
  isIsoDate,
  isMunicipalityCode,
  isPrefectureCode,
  todayInJapan,
} from './validation.js';

describe('Japanese codes', () => {
  it('accepts the 47 prefecture codes and nothing else', () => {
    const valid = Array.from({ length: 47 }, (_, i) => String(i + 1).padStart(2, '0'));
    expect(valid.every(isPrefectureCode)).toBe(true);
    for (const bad of ['00', '48', '1', '001', 'ab', ' 01', '１３']) expect(isPrefectureCode(bad)).toBe(false);
  });

  it('accepts real municipality codes with their check digit', () => {
    // 札幌市, 仙台市, 千代田区, 横浜市, 名古屋市, 大阪市, 那覇市, 北海道 (prefecture-level code)
    for (const code of ['011002', '041009', '131016', '141003', '231002', '271004', '472018', '010006']) {
      expect({ code, ok: isMunicipalityCode(code) }).toEqual({ code, ok: true });
    }
  });

  it('refuses a wrong check digit, a wrong length or a prefecture that does not exist', () => {
    for (const code of ['011001', '131017', '04100', '0410090', '481009', 'abcdef']) {
      expect({ code, ok: isMunicipalityCode(code) }).toEqual({ code, ok: false });
    }
  });
});

describe('text and dates', () => {
  it('trims and NFC-normalises a line, refusing control and bidirectional characters', () => {
    expect(cleanLine('name', '  ｶﾞ  ', { max: 10 })).toBe('ｶﾞ'.normalize('NFC'));
    expect(cleanLine('name', 'e\u0301', { max: 10 })).toBe('é');
    for (const bad of ['a\u0000b', 'a\nb', 'abc\u202Edef', '\u2066x', '', '   ']) {
      expect(() => cleanLine('name', bad, { max: 10 })).toThrow();
    }
    expect(() => cleanLine('name', 'x'.repeat(11), { max: 10 })).toThrow(/10文字以内/);
  });

  it('refuses lone surrogates, zero-width spaces in a line, and a line of nothing visible', () => {
    for (const bad of ['山\uD800田', '\uDFFF', '山\u200B田', '花\uFEFF子', '\u200D', '\u3000\u200C']) {
      expect(() => cleanLine('name', bad, { max: 10 })).toThrow();
    }
    expect(() => cleanText('note', 'メモ\uDC00', { max: 10 })).toThrow();
    expect(cleanLine('name', '𠮷野', { max: 10 })).toBe('𠮷野');
    expect(cleanLine('name', '👩\u200D💻', { max: 10 })).toBe('👩\u200D💻');
    expect(cleanText('note', '一行目\n\t二行目', { max: 20 })).toBe('一行目\n\t二行目');
  });

  it('knows which calendar dates exist', () => {
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-4-1')).toBe(false);
  });

  it('tells the date in Japan, which is ahead of UTC', () => {
    expect(todayInJapan(new Date('2026-03-31T15:30:00Z'))).toBe('2026-04-01');
    expect(todayInJapan(new Date('2026-03-31T14:59:59Z'))).toBe('2026-03-31');
  });
});

describe('enumerations', () => {
  it('takes an allowed value, and names the field and lists the allowed values when refusing one', () => {
    expect(assertOneOf('route', 'B', ['A', 'B'], '区分')).toBe('B');
    expect(() => assertOneOf('route', 'C', ['A', 'B'], '区分')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'route', message: expect.stringContaining('A, B') }),
    );
  });
});
