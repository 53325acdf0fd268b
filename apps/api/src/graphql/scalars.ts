import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isIsoDate } from '@tasuki/domain';

const invalid = () =>
  new GraphQLError('日付は YYYY-MM-DD 形式で指定してください。', { extensions: { code: 'BAD_USER_INPUT' } });

/** A calendar date without time or zone, "YYYY-MM-DD" (dates of the Japanese calendar: term ends, respond-by). */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: '日付 (YYYY-MM-DD)。時刻・タイムゾーンを含まない暦日。',
  serialize(value) {
    if (typeof value === 'string' && isIsoDate(value)) return value;
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    throw new GraphQLError('Date cannot represent this value');
  },
  parseValue(value) {
    if (typeof value !== 'string' || !isIsoDate(value)) throw invalid();
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || !isIsoDate(ast.value)) throw invalid();
    return ast.value;
  },
});

// RFC 3339 date-time with a required offset: without one, the instant would depend on the server's time zone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;

/** The instant an RFC 3339 string names, or null when it is not one (including days that do not exist). */
function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const invalidDateTime = () =>
  new GraphQLError('日時は 2025-04-01T09:00:00+09:00 のような RFC 3339 形式 (タイムゾーン付き) で指定してください。', {
    extensions: { code: 'BAD_USER_INPUT' },
  });

/**
 * An instant, "2025-04-01T00:00:00.000Z" on output. Input must carry its offset and name a real day; Nest's own
 * DateTime scalar accepts anything `new Date()` does (numbers, "2025-02-30", local times) and lets an invalid date
 * reach SQL.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: '日時 (RFC 3339, タイムゾーン付き)。出力は UTC (例: 2025-04-01T00:00:00.000Z)。',
  serialize(value) {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    const parsed = parseDateTime(value);
    if (parsed) return parsed.toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue(value) {
    const parsed = parseDateTime(value);
    if (!parsed) throw invalidDateTime();
    return parsed;
  },
  parseLiteral(ast) {
    const parsed = ast.kind === Kind.STRING ? parseDateTime(ast.value) : null;
    if (!parsed) throw invalidDateTime();
    return parsed;
  },
});
