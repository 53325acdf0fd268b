import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AuditService, type AuditEventView, type UserView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { User } from '../members/members.types.js';
import { AuditChainStatus, AuditEvent, AuditEventConnection, AuditEventFilter } from './audit.types.js';

@Resolver(() => AuditEvent)
export class AuditResolver {
  constructor(
    private readonly audit: AuditService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('read', 'AuditEvent')
  @Query(() => AuditEventConnection, { description: '代理中の機関の監査ログ (新しい順。機関管理者のみ)' })
  auditEvents(
    @Ctx() ctx: RequestContext,
    @Args('filter', { type: () => AuditEventFilter, nullable: true }) filter?: AuditEventFilter,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<AuditEventConnection> {
    return this.audit.list(ctx, filter, first, after);
  }

  @Can('read', 'AuditEvent')
  @Query(() => AuditChainStatus, {
    description: '代理中の機関の監査ログのハッシュ連鎖を検証する (機関管理者のみ)',
  })
  auditChain(@Ctx() ctx: RequestContext): Promise<AuditChainStatus> {
    return this.audit.chainStatus(ctx);
  }

  @ResolveField(() => User, {
    nullable: true,
    description: '操作したユーザー。システムによる操作や、この機関のメンバーでない利用者 (運営者など) は null。',
  })
  actor(@Parent() event: AuditEventView, @Ctx() ctx: RequestContext): Promise<UserView | null> {
    if (!event.actorUserId) return Promise.resolve(null);
    return this.loaders.of(ctx).user.load(event.actorUserId);
  }
}
