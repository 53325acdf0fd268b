import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { RequestContext } from '@tasuki/platform';
import type DataLoader from 'dataloader';
import type { Request } from 'express';

export interface TasukiRequest extends Request {
  /** Memoized authentication: resolved once per HTTP request, shared by every root field of it. */
  tasukiAuth?: Promise<RequestContext>;
  tasukiContext?: RequestContext;
  /** The request's DataLoaders by name (see graphql/loaders.ts). */
  tasukiLoaders?: Map<string, DataLoader<string, unknown>>;
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
