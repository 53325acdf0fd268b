import { subject as asSubject } from '@casl/ability';
import type { RequestTransaction } from '../database/request-transaction.js';
import type { TenantScope } from '../database/tenant-transaction.js';
import { forbidden } from '../errors/app-error.js';
import type { Action, AppAbility, Role, SubjectName } from './ability.js';

export interface AuthenticatedUser {
  id: string;
  email: string;
  displayName: string;
  isOperator: boolean;
}

export interface ActingMembership {
  id: string;
  orgId: string;
  roles: Role[];
  termEndsOn: string | null;
}

/** Everything a service needs to know about the caller of one request (or the job acting for an organization). */
export interface RequestContext {
  requestId: string;
  user: AuthenticatedUser;
  /** The organization the request acts for; null for the operator and for users who did not pick one. */
  orgId: string | null;
  membership: ActingMembership | null;
  ability: AppAbility;
  /** The transaction the reads of a GraphQL query request share (set by the API's guard for queries only). */
  transaction?: RequestTransaction;
}

export function tenantScope(ctx: RequestContext): TenantScope {
  return { orgId: ctx.orgId, userId: ctx.user.id, operator: ctx.user.isOperator };
}

/**
 * The first line of every service method. With `object`, the ability's conditions are checked against it.
 * Throws FORBIDDEN; services that must not reveal existence check reachability first and answer NOT_FOUND.
 */
export function assertCan(
  ctx: RequestContext,
  action: Action,
  subjectName: Exclude<SubjectName, 'all'>,
  object?: Record<string, unknown>,
  message?: string,
): void {
  const target = object ? asSubject(subjectName, { ...object }) : subjectName;
  if (!ctx.ability.can(action, target)) throw forbidden(message);
}
