import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthService } from '@tasuki/domain';
import { forbidden, POLICY_KEY, unauthenticated, type PolicySpec } from '@tasuki/platform';
import { ACCEPTS_ADMIN_SESSION_KEY, readAdminSession } from './admin-session.js';
import { httpRequestOf, requestIdOf } from './request.js';

/**
 * The global guard: every handler must declare a policy (deny by default). For anything but `public` it verifies
 * the bearer token, resolves the acting membership from X-Organization-Id and builds the CASL ability, once per HTTP
 * request, and refuses before the resolver runs when the ability cannot do the declared action at all.
 */
@Injectable()
export class PolicyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
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
        throw forbidden('操作する機関を X-Organization-Id ヘッダーで指定してください。');
      }
      throw forbidden();
    }
    return true;
  }

  /** The bearer token; without one, the dashboard's cookie where the handler accepts it (AcceptsAdminSession). */
  private authenticate(req: ReturnType<typeof httpRequestOf>, cookieAccepted: boolean) {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const session = !header && cookieAccepted ? readAdminSession(req.headers.cookie) : undefined;
    if (session) return this.auth.authenticateAdminSession(session, requestIdOf(req));
    if (!match) return Promise.reject(unauthenticated());
    const org = req.headers['x-organization-id'];
    return this.auth.authenticate(match[1]!, Array.isArray(org) ? org[0] : org, requestIdOf(req));
  }
}
