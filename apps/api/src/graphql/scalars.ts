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
