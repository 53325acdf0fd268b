import { badInput } from '@tasuki/platform';

// C0/C1 controls (tab and newline aside where allowed) and the bidirectional overrides/isolates, which can make
// a name display differently from what is stored.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;

/** No control characters (newlines and tabs included) and no bidirectional overrides or isolates. */
export function isPlainLine(v: string): boolean {
  return !CONTROL_SINGLE_LINE.test(v) && !BIDI.test(v);
}

/** A single-line text: trimmed and NFC-normalised, no control or bidi characters, within the length. */
export function cleanLine(field: string, value: string, opts: { max: number; min?: number }): string {
  const v = value.normalize('NFC').trim();
  if (!isPlainLine(v)) throw badInput(field, `${field} に使用できない制御文字が含まれています。`);
  if (v.length < (opts.min ?? 1)) throw badInput(field, `${field} を入力してください。`);
  if (v.length > opts.max) throw badInput(field, `${field} は${opts.max}文字以内で入力してください。`);
  return v;
}

/** A multi-line text: as cleanLine, but newlines and tabs are kept. */
export function cleanText(field: string, value: string, opts: { max: number; min?: number }): string {
  const v = value.normalize('NFC').trim();
  if (CONTROL.test(v) || BIDI.test(v)) throw badInput(field, `${field} に使用できない制御文字が含まれています。`);
  if (v.length < (opts.min ?? 0)) throw badInput(field, `${field} を入力してください。`);
  if (v.length > opts.max) throw badInput(field, `${field} は${opts.max}文字以内で入力してください。`);
  return v;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export function cleanEmail(field: string, value: string): string {
  const v = value.normalize('NFC').trim();
  if (v.length > 254 || !EMAIL.test(v) || !isPlainLine(v)) {
    throw badInput(field, 'メールアドレスの形式が正しくありません。');
  }
  return v;
}

/** JIS X 0401 prefecture code: "01" (Hokkaido) to "47" (Okinawa). */
export function isPrefectureCode(v: string): boolean {
  return /^(0[1-9]|[1-3][0-9]|4[0-7])$/.test(v);
}

export function assertPrefectureCode(field: string, v: string): string {
  if (!isPrefectureCode(v)) throw badInput(field, '都道府県コードは "01"〜"47" の2桁で指定してください。');
  return v;
}

/**
 * 全国地方公共団体コード: five digits (prefecture + municipality) and a check digit: the digits are weighted 6,5,4,3,2,
 * and the check digit is (11 − sum mod 11) mod 10.
 */
export function isMunicipalityCode(v: string): boolean {
  if (!/^[0-9]{6}$/.test(v)) return false;
  if (!isPrefectureCode(v.slice(0, 2))) return false;
  const sum = [6, 5, 4, 3, 2].reduce((acc, w, i) => acc + w * Number(v[i]), 0);
  return (11 - (sum % 11)) % 10 === Number(v[5]);
}

export function assertMunicipalityCode(field: string, v: string): string {
  if (!isMunicipalityCode(v))
    throw badInput(field, '市区町村コードは検査数字を含む6桁の全国地方公共団体コードで指定してください。');
  return v;
}

/** A calendar date "YYYY-MM-DD" that exists. */
export function isIsoDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Today in Japan (Asia/Tokyo, UTC+9 without daylight saving) as "YYYY-MM-DD". */
export function todayInJapan(now = new Date()): string {
  return new Date(now.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

export function uniqueOrFail<T>(field: string, values: readonly T[]): T[] {
  if (new Set(values).size !== values.length) throw badInput(field, `${field} に重複があります。`);
  return [...values];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(v: string): boolean {
  return UUID.test(v);
}
