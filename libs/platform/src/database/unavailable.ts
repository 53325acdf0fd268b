import { AppError } from '../errors/app-error.js';

/**
 * SQLSTATEs that say the server cannot serve now, not that the statement was wrong: class 08 (connection exception),
 * admin/crash shutdown and "starting up" (57P01-57P03), too many connections (53300).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
/** Socket errors on the way to PostgreSQL. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres's own messages when a connection dies or cannot be had (they carry no code). */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection terminated due to connection timeout)/;

/**
 * TypeORM releases a transaction's query runner when its connection emits an error (the server went away mid-unit
 * of work); the unit's next statement then fails with one of these instead of the socket's error. Tasuki's code uses a
 * runner only inside its `transaction` callback, so outside a bug (which the outage log still prints with its cause)
 * they mean the connection died.
 */
const RELEASED_RUNNER = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/**
 * Whether an error means "PostgreSQL cannot be reached or is restarting" (a fault of the moment, gone when the
 * server is back: the pool opens new connections by itself) rather than a fault of the request. Looks through
 * TypeORM's wrapper (`driverError`), `cause` and AggregateError's `errors`.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code))) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  if (RELEASED_RUNNER.has((err as Error).name) || RELEASED_RUNNER.has(err.constructor?.name)) return true;
  const inner = [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((x) => x !== err && isDatabaseUnavailable(x, depth + 1));
}

/**
 * The caller's answer while the database is unreachable: try again shortly. The transaction was rolled back, unless
 * the connection broke during its COMMIT, when the write may have landed: callers retry idempotently or re-read.
 */
export const serviceUnavailable = (cause?: unknown): AppError =>
  Object.assign(
    new AppError('SERVICE_UNAVAILABLE', '一時的にサービスを利用できません。しばらくしてから再度お試しください。'),
    { cause },
  );
