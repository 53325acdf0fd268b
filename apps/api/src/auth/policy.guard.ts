import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthService } from '@tasuki/domain';
import { Database, forbidden, POLICY_KEY, tenantScope, type PolicySpec, type RequestContext } from '@tasuki/platform';
import { ACCEPTS_ADMIN_SESSION_KEY, readAdminSession } from './admin-session.js';
import { authenticateRequest, httpRequestOf, requestIdOf } from './request.js';

/**
 * The global guard: every handler must declare a policy (deny by default). For anything but `public` it verifies
 * the bearer token, resolves the acting membership from X-Organization-Id and builds the CASL ability, once per
 * request (an HTTP request, or a subscription's operation), and refuses before the resolver runs when the ability
 * cannot do the declared action at all.
 */
@Injectable()
export class PolicyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly db: Database,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<PolicySpec | undefined>(POLICY_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!policy) throw forbidden('この操作にはポリシーが定義されていません。');
    if (policy.kind === 'public') return true;

    const req = httpRequestOf(context);
    const cookieAccepted = this.reflector.get<boolean | undefined>(ACCEPTS_ADMIN_SESSION_KEY, context.getHandler());
    req.tasukiAuth ??= this.authenticate(req, cookieAccepted === true);
    const ctx = await req.tasukiAuth;
    req.tasukiContext = ctx;
    if (policy.kind === 'signedIn') return true;
    if (!ctx.ability.can(policy.action, policy.subject)) {
      if (!ctx.orgId && !ctx.user.isOperator) {
        throw forbidden(
          '操作する機関を X-Organization-Id ヘッダー（WebSocket では connection_init の organizationId）で指定してください。',
        );
      }
      throw forbidden();
    }
    return true;
  }

  /**
   * The bearer token; without one, the dashboard's cookie where the handler accepts it (AcceptsAdminSession).
   * A query request's work shares one transaction (RequestTransaction) from the principal's lookup on: the
   * GraphQL plugin (request-transaction.plugin.ts) finishes it before the response leaves, and it is rolled back if
   * the request goes away first.
   */
  private async authenticate(req: ReturnType<typeof httpRequestOf>, cookieAccepted: boolean): Promise<RequestContext> {
    const session = !req.headers.authorization && cookieAccepted ? readAdminSession(req.headers.cookie) : undefined;
    if (session) return this.auth.authenticateAdminSession(session, requestIdOf(req));
    if (!req.tasukiSharedReads) return authenticateRequest(this.auth, req);
    const transaction = this.db.requestTransaction();
    req.tasukiTransaction = transaction;
    req.res?.once('close', () => void transaction.abandon());
    const ctx = await authenticateRequest(this.auth, req, transaction);
    await transaction.actAs(tenantScope(ctx));
    return { ...ctx, transaction };
  }
}
