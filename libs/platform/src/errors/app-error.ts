/** The error codes of the API contract, carried to GraphQL as `extensions.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONSENT_REQUIRED'
  | 'INVALID_TRANSITION'
  | 'CONFLICT'
  /** PostgreSQL cannot be reached or is restarting: a fault of the moment, worth a retry. */
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED';

/**
 * A refusal the caller can act on. `message` is user-facing Japanese text; `field` names the offending input when
 * there is one. Anything thrown that is not an AppError is an internal error and is never shown to the caller.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = '認証が必要です。サインインしてください。') =>
  new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'この操作を行う権限がありません。') => new AppError('FORBIDDEN', message);
/** The one answer for "does not exist" and "exists but is not yours". */
export const notFound = (what = '対象') => new AppError('NOT_FOUND', `${what}が見つかりません。`);
export const badInput = (field: string, message: string) => new AppError('BAD_USER_INPUT', message, field);
export const conflict = (message: string, field?: string) => new AppError('CONFLICT', message, field);
export const invalidTransition = (message: string) => new AppError('INVALID_TRANSITION', message);
export const consentRequired = (message: string, field?: string) => new AppError('CONSENT_REQUIRED', message, field);

/**
 * Too many requests: `retryAfter` seconds until the window (or lockout) ends. The caller sees code and retryAfter;
 * the API answers HTTP 429 with Retry-After when nothing else of the request succeeded.
 */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfter: number,
    message = 'リクエストが多すぎます。しばらく待ってから再試行してください。',
  ) {
    super('RATE_LIMITED', message);
  }
}
