import { HttpException } from '@nestjs/common';
import { AppError, isDatabaseUnavailable, RateLimitedError, serviceUnavailable } from '@tasuki/platform';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

const KNOWN_GRAPHQL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * graphql-js stops coercing variables after 50 errors and adds one more, without a code: the caller's input, not a
 * fault (e.g. a list of 10,000 invalid items).
 */
const TOO_MANY_VARIABLE_ERRORS = 'Too many errors processing variables';

/**
 * GraphQL's coercion messages quote the offending value whole: a 1 MB string would come back in each of up to 50
 * errors. Messages are cut to this many characters.
 */
export const MAX_MESSAGE_LENGTH = 500;

const capped = (message: string) =>
  message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
};

/**
 * The edge of the error contract: an AppError keeps its code, message and field; GraphQL's own parse/validation
 * errors keep theirs; anything else is logged with the request and answered as an opaque internal error, so no SQL,
 * stack or datum leaks to the caller.
 */
export function formatError(logger: Logger) {
  let unavailableLoggedAt = 0;
  let unavailableSince = 0;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = (error as { originalError?: unknown })?.originalError ?? error;
    // A unit of work outside Database.run (a guard, a loader) met PostgreSQL down: the same typed answer.
    if (!(original instanceof AppError) && isDatabaseUnavailable(original)) original = serviceUnavailable(original);
    if (original instanceof AppError && original.code === 'SERVICE_UNAVAILABLE') {
      // An outage fails every request: logged once per 10 s with the count, not request by request.
      unavailableSince++;
      if (Date.now() - unavailableLoggedAt > 10_000) {
        logger.warn(
          { err: original.cause, requests: unavailableSince },
          'PostgreSQL unavailable: answering SERVICE_UNAVAILABLE',
        );
        unavailableLoggedAt = Date.now();
        unavailableSince = 0;
      }
    }
    const base = { message: capped(formatted.message), locations: formatted.locations, path: formatted.path };
    if (original instanceof AppError) {
      return {
        ...base,
        message: original.message,
        extensions: {
          code: original.code,
          ...(original.field ? { field: original.field } : {}),
          ...(original instanceof RateLimitedError ? { retryAfter: original.retryAfter } : {}),
        },
      };
    }
    if (original instanceof HttpException) {
      const code = HTTP_CODES[original.getStatus()] ?? 'INTERNAL_SERVER_ERROR';
      if (code !== 'INTERNAL_SERVER_ERROR') return { ...base, extensions: { code } };
    }
    const code = formatted.message.startsWith(TOO_MANY_VARIABLE_ERRORS) ? 'BAD_USER_INPUT' : formatted.extensions?.code;
    if (typeof code === 'string' && KNOWN_GRAPHQL_CODES.has(code)) {
      return { ...base, extensions: { code } };
    }
    logger.error({ err: original, path: formatted.path }, 'unhandled error in GraphQL operation');
    return {
      message: '内部エラーが発生しました。',
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
