import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { AuthService } from '@tasuki/domain';
import { unauthenticated, type RequestContext, type RequestTransaction } from '@tasuki/platform';

/**
 * What the pipeline needs of a request: an HTTP request is one; a subscription's operation gets one built from its
 * connection's `connection_init` parameters (apps/api/src/graphql/subscriptions.ts).
 */
export interface TasukiRequest {
  headers: IncomingHttpHeaders;
  id?: unknown;
  /** Memoized authentication: resolved once per request, shared by every root field of it. */
  tasukiAuth?: Promise<RequestContext>;
  tasukiContext?: RequestContext;
  /** Set for a GraphQL query operation: its reads share one transaction (RequestTransaction). */
  tasukiSharedReads?: boolean;
  tasukiTransaction?: RequestTransaction;
  /** Express's response, when the request is an HTTP one. */
  res?: { once(event: 'close', listener: () => void): unknown };
}

/**
 * The caller of a request: the bearer token of `Authorization`, and the acting membership named by
 * `X-Organization-Id` (or the only one), resolved by AuthService.authenticate.
 */
export function authenticateRequest(
  auth: AuthService,
  req: TasukiRequest,
  transaction?: RequestTransaction,
): Promise<RequestContext> {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) return Promise.reject(unauthenticated());
  const org = req.headers['x-organization-id'];
  return auth.authenticate(match[1]!, Array.isArray(org) ? org[0] : org, requestIdOf(req), transaction);
}

export function httpRequestOf(context: ExecutionContext): TasukiRequest {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: TasukiRequest }>().req;
  }
  return context.switchToHttp().getRequest<TasukiRequest>();
}

export function requestIdOf(req: TasukiRequest): string {
  return typeof req.id === 'string' ? req.id : randomUUID();
}

/** The caller's RequestContext, set by the global PolicyGuard before the resolver runs. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const ctx = httpRequestOf(context).tasukiContext;
  if (!ctx) throw new Error('RequestContext missing: the handler has no @Can or @SignedIn policy');
  return ctx;
});
