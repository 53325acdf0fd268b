import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AppError, RateLimitedError } from '@tasuki/platform';
import type { Response } from 'express';

const STATUS: Record<AppError['code'], number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONSENT_REQUIRED: 403,
  INVALID_TRANSITION: 409,
  CONFLICT: 409,
  SERVICE_UNAVAILABLE: 503,
  RATE_LIMITED: 429,
};

/**
 * AppErrors are expected refusals, not faults: in GraphQL they pass untouched to Apollo's formatError (without
 * Nest logging them as unhandled), and on plain HTTP routes they become a JSON body with the same code.
 */
@Catch(AppError)
export class AppErrorFilter implements ExceptionFilter {
  catch(error: AppError, host: ArgumentsHost): unknown {
    if (host.getType<string>() === 'graphql') return error;
    const res = host.switchToHttp().getResponse<Response>();
    if (error instanceof RateLimitedError) res.setHeader('retry-after', String(error.retryAfter));
    res.status(STATUS[error.code]).json({ code: error.code, message: error.message });
    return undefined;
  }
}
