import { Args, Context, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Request } from 'express';
import { AuthService } from '@tasuki/domain';
import { Public, SignedIn, type RequestContext } from '@tasuki/platform';
import { AuthPayload, Viewer } from './auth.types.js';
import { clientIp, RateLimits } from './rate-limit.js';
import { Ctx } from './request.js';

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly limits: RateLimits,
  ) {}

  @Public()
  @Mutation(() => AuthPayload, { description: 'メールアドレスとパスワードでサインインし、アクセストークンを得る' })
  signIn(
    @Args('email') email: string,
    @Args('password') password: string,
    @Context('req') req: Request,
  ): Promise<AuthPayload> {
    return this.limits.signIn(email, clientIp(req), () => this.auth.signIn(email, password));
  }

  @SignedIn()
  @Query(() => Viewer, { description: 'サインイン中のユーザー、所属、代理中の機関' })
  async me(@Ctx() ctx: RequestContext): Promise<Viewer> {
    const v = await this.auth.viewer(ctx);
    const acting = v.memberships.find((m) => m.organization.id === v.actingOrganizationId)?.organization ?? null;
    return { user: v.user, memberships: v.memberships, actingOrganization: acting };
  }
}
