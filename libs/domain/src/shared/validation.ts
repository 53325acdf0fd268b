import { badInput, japanDate } from '@tasuki/platform';

// C0/C1 controls (tab and newline aside where allowed) and the bidirectional overrides/isolates, which can make
// a name display differently from what is stored.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
/**
 * Half of a surrogate pair without the other half: not a character at all (UTF-8 cannot carry it; PostgreSQL would
 * store U+FFFD in its place).
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Invisible characters a line has no use for: zero-width space, word joiner, BOM (they make "山田" and "山\u200B田"
// two names). The zero-width (non-)joiner stay allowed: emoji sequences and some scripts need them.
const INVISIBLE_IN_LINE = /[\u200B\u2060\uFEFF]/;
const BLANK = /^[\s\u200C\u200D]*$/u;

/**
 * No control characters (newlines and tabs included), no bidirectional overrides or isolates, no lone surrogates and
 * no zero-width spaces.
 */
export function isPlainLine(v: string): boolean {
  return !CONTROL_SINGLE_LINE.test(v) && !BIDI.test(v) && !LONE_SURROGATE.test(v) && !INVISIBLE_IN_LINE.test(v);
}

/** A single-line text: trimmed and NFC-normalised, no control or bidi characters, within the length. */
export function cleanLine(field: string, value: string, opts: { max: number; min?: number }): string {
  const v = value.normalize('NFC').trim();
  if (!isPlainLine(v)) throw badInput(field, `${field} に使用できない制御文字が含まれています。`);
  if (v.length < (opts.min ?? 1) || ((opts.min ?? 1) > 0 && BLANK.test(v))) {
    throw badInput(field, `${field} を入力してください。`);
  }
  if (v.length > opts.max) throw badInput(field, `${field} は${opts.max}文字以内で入力してください。`);
  return v;
}

/** A multi-line text: as cleanLine, but newlines and tabs are kept. */
export function cleanText(field: string, value: string, opts: { max: number; min?: number }): string {
  const v = value.normalize('NFC').trim();
  if (CONTROL.test(v) || BIDI.test(v) || LONE_SURROGATE.test(v))
    throw badInput(field, `${field} に使用できない制御文字が含まれています。`);
  if (v.length < (opts.min ?? 0) || ((opts.min ?? 0) > 0 && BLANK.test(v))) {
    throw badInput(field, `${field} を入力してください。`);
  }
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

/** An optional municipality code that must lie in the given prefecture. */
export function assertMunicipalityIn(
  field: string,
  v: string | null | undefined,
  prefectureCode: string,
): string | null {
  if (!v) return null;
  assertMunicipalityCode(field, v);
  if (v.slice(0, 2) !== prefectureCode) throw badInput(field, '市区町村コードが都道府県コードと一致しません。');
  return v;
}

/** A calendar date "YYYY-MM-DD" that exists. */
export function isIsoDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Today in Japan (Asia/Tokyo, UTC+9 without daylight saving) as "YYYY-MM-DD". */
export const todayInJapan = japanDate;

export function uniqueOrFail<T>(field: string, values: readonly T[]): T[] {
  if (new Set(values).size !== values.length) throw badInput(field, `${field} に重複があります。`);
  return [...values];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(v: string): boolean {
  return UUID.test(v);
}

// Katakana (after NFKC, which widens half-width kana), the prolonged sound mark, the middle dot and spaces.
const KANA = /^[\u30A1-\u30FA\u30FC\u30FB ]+$/u;

/** A reading in katakana (フリガナ). Half-width kana are widened; hiragana and other scripts are refused. */
export function cleanKana(field: string, value: string, opts: { max: number }): string {
  const v = value.normalize('NFKC').trim().replace(/\s+/gu, ' ');
  if (v.length === 0) throw badInput(field, `${field} を入力してください。`);
  if (v.length > opts.max) throw badInput(field, `${field} は${opts.max}文字以内で入力してください。`);
  if (!KANA.test(v)) throw badInput(field, `${field} は全角カタカナで入力してください。`);
  return v;
}

/**
 * A Japanese telephone number: digits (full-width accepted), optionally grouped by hyphens, spaces or parentheses;
 * a domestic number of 10–11 digits starting with 0, or +81 followed by 9–10 digits. Stored as written, normalised.
 */
export function cleanPhone(field: string, value: string): string {
  const v = value.normalize('NFKC').trim();
  const digits = v.replace(/[-\s()]/gu, '');
  if (v.length > 20 || !/^(0\d{9,10}|\+81\d{9,10})$/u.test(digits)) {
    throw badInput(field, '電話番号の形式が正しくありません。');
  }
  return v;
}

/** A "YYYY-MM-DD" date within [min, max] (inclusive, compared as dates). */
export function assertDateBetween(field: string, value: string, min: string, max: string, label: string): string {
  if (!isIsoDate(value)) throw badInput(field, `${label}の形式が正しくありません (YYYY-MM-DD)。`);
  if (value < min || value > max) throw badInput(field, `${label}は${min}から${max}の間で指定してください。`);
  return value;
}

/** One of the allowed values of an enumeration; the refusal lists them. */
export function assertOneOf<T extends string>(field: string, value: string, allowed: readonly T[], label: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw badInput(field, `${label}の値が正しくありません。指定できる値: ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A non-empty list of distinct allowed values. */
export function assertSetOf<T extends string>(
  field: string,
  values: readonly string[],
  allowed: readonly T[],
  label: string,
): T[] {
  if (values.length === 0) throw badInput(field, `${label}を1つ以上指定してください。`);
  const unique = uniqueOrFail(field, values);
  return unique.map((v) => assertOneOf(field, v, allowed, label));
}

/** An integer within [min, max]. */
export function assertIntBetween(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `${field} は${min}〜${max}の整数で指定してください。`);
  }
  return value;
}
