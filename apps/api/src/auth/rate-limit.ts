import { createHash } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  AppError,
  CONFIG,
  RateLimitedError,
  RateLimiter,
  RedisConnection,
  type AppConfig,
  type RequestContext,
} from '@tasuki/platform';
import { API_LOGGER } from '../api.tokens.js';

const LOCKED_OUT = 'サインインの失敗が続いたため、一時的にサインインできません。しばらく待ってから再試行してください。';

/** The client's address as Express sees it (the socket's peer unless `trust proxy` is set). */
export function clientIp(req: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/**
 * Tasuki's rate limits (config `rateLimit`), in three places: every request to /graphql per client IP (an Express
 * middleware, before the body is parsed as GraphQL: HTTP 429), every request per signed-in user (RateLimitGuard,
 * after authentication), and sign-in (per IP, plus a lockout after repeated failures per e-mail and per IP).
 */
@Injectable()
export class RateLimits {
  private readonly limiter: RateLimiter;
  readonly limits: AppConfig['rateLimit'];

  constructor(@Inject(CONFIG) config: AppConfig, redis: RedisConnection, @Inject(API_LOGGER) logger: Logger) {
    this.limits = config.rateLimit;
    this.limiter = new RateLimiter(redis, config.redis.keyPrefix, logger);
  }

  /** Express middleware: the per-IP limit, answered with a GraphQL-shaped 429. */
  readonly perIp = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!this.limits.enabled) return next();
    const { count, retryAfter } = await this.limiter.hit(`ip:${clientIp(req)}`, this.limits.windowSeconds);
    if (count <= this.limits.perIp) return next();
    const refusal = new RateLimitedError(retryAfter);
    res
      .status(429)
      .set('retry-after', String(retryAfter))
      .json({ errors: [{ message: refusal.message, extensions: { code: refusal.code, retryAfter } }] });
  };

  /** The per-user limit: one hit per HTTP request, however many root fields it has. */
  async perUser(userId: string): Promise<void> {
    if (!this.limits.enabled) return;
    const { count, retryAfter } = await this.limiter.hit(`user:${userId}`, this.limits.windowSeconds);
    if (count > this.limits.perUser) throw new RateLimitedError(retryAfter);
  }

  /**
   * Runs one sign-in attempt under the sign-in limits: attempts per IP, then the lockout. The lockout is counted
   * per normalized e-mail whether an account has it or not, and is checked before the password, so a locked-out
   * e-mail gets the same answer (code, message, no password hashing) known or unknown, right password or wrong.
   * A failure (UNAUTHENTICATED) counts against the e-mail and the IP; a success clears the e-mail's failures.
   */
  async signIn<T>(email: string, ip: string, attempt: () => Promise<T>): Promise<T> {
    if (!this.limits.enabled) return attempt();
    const l = this.limits;
    const rate = await this.limiter.hit(`signin:ip:${ip}`, l.windowSeconds);
    if (rate.count > l.signInPerIp) throw new RateLimitedError(rate.retryAfter);
    const emailKey = `signin:fail:email:${createHash('sha256').update(normalizeEmail(email)).digest('hex')}`;
    const ipKey = `signin:fail:ip:${ip}`;
    const [byEmail, byIp] = await Promise.all([this.limiter.peek(emailKey), this.limiter.peek(ipKey)]);
    const locked = [
      byEmail.count >= l.lockoutFailures ? byEmail : null,
      byIp.count >= l.lockoutIpFailures ? byIp : null,
    ]
      .filter((c) => c !== null)
      .map((c) => c.retryAfter);
    if (locked.length) throw new RateLimitedError(Math.max(...locked), LOCKED_OUT);
    try {
      const result = await attempt();
      await this.limiter.clear(emailKey);
      return result;
    } catch (err) {
      if (err instanceof AppError && err.code === 'UNAUTHENTICATED') {
        await Promise.all([this.limiter.hit(emailKey, l.lockoutSeconds), this.limiter.hit(ipKey, l.lockoutSeconds)]);
      }
      throw err;
    }
  }
}

/** The e-mail as the lockout counts it: one counter for every spelling the sign-in would match. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

interface LimitedRequest {
  tasukiContext?: RequestContext;
  tasukiUserCounted?: boolean;
}

/**
 * The per-user limit, as a global guard registered after PolicyGuard (which has authenticated the request by then):
 * counted once per HTTP request; anonymous requests are left to the per-IP limit.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limits: RateLimits) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<string>() !== 'graphql') return true;
    const req = GqlExecutionContext.create(context).getContext<{ req?: LimitedRequest }>().req;
    const userId = req?.tasukiContext?.user.id;
    if (!req || !userId || req.tasukiUserCounted) return true;
    req.tasukiUserCounted = true;
    await this.limits.perUser(userId);
    return true;
  }
}

/**
 * An Apollo plugin: a GraphQL response refused by a rate limit, with no data, is an HTTP 429 with Retry-After (the
 * per-IP middleware answers 429 itself). A response that carries data keeps its status.
 */
export const rateLimitedStatus = {
  async requestDidStart() {
    return {
      async willSendResponse(rc: {
        errors?: readonly { originalError?: unknown }[];
        response: { http: { status?: number; headers: Map<string, string> }; body: unknown };
      }) {
        const limited = rc.errors?.map((e) => e.originalError).find((e) => e instanceof RateLimitedError);
        const body = rc.response.body as { kind?: string; singleResult?: { data?: unknown } };
        if (!limited || (body.kind === 'single' && body.singleResult?.data != null)) return;
        rc.response.http.status = 429;
        rc.response.http.headers.set('retry-after', String(limited.retryAfter));
      },
    };
  },
};
