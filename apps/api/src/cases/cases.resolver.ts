import { Args, ID, Info, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import {
  CasesService,
  TimelineService,
  type AssignmentView,
  type CaseView,
  type TimelineEntryView,
} from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Client } from '../clients/clients.types.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { User } from '../members/members.types.js';
import { Organization } from '../organizations/organizations.types.js';
import {
  AddTimelineEntryInput,
  Assignment,
  Case,
  CaseConnection,
  CaseFilter,
  TimelineConnection,
  TimelineEntry,
} from './cases.types.js';

@Resolver(() => Case)
export class CasesResolver {
  constructor(
    private readonly caseService: CasesService,
    private readonly timelineService: TimelineService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('read', 'Case')
  @Query(() => Case, { name: 'case', nullable: true, description: '支援ケース (閲覧できるもののみ)' })
  caseById(@Ctx() ctx: RequestContext, @Args('id', { type: () => ID }) id: string): Promise<CaseView> {
    return this.caseService.get(ctx, id);
  }

  @Can('read', 'Case')
  @Query(() => CaseConnection, { description: '自機関のケース一覧 (最後の記録が新しい順)。支援者は担当ケースのみ。' })
  cases(
    @Ctx() ctx: RequestContext,
    @Args('filter', { type: () => CaseFilter, nullable: true }) filter?: CaseFilter,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.caseService.list(ctx, filter, first, after);
  }

  @Can('create', 'TimelineEntry')
  @Mutation(() => TimelineEntry, { description: '支援記録を追加する (訂正は訂正対象を指す新しい記録)' })
  addTimelineEntry(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => AddTimelineEntryInput }) input: AddTimelineEntryInput,
  ): Promise<TimelineEntryView> {
    return this.timelineService.add(ctx, input);
  }

  @Can('assign', 'Case')
  @Mutation(() => Case, { description: '担当者を割り当てる (replaceExisting で他の担当者と交代)' })
  assignCase(
    @Ctx() ctx: RequestContext,
    @Args('caseId', { type: () => ID }) caseId: string,
    @Args('userId', { type: () => ID }) userId: string,
    @Args('replaceExisting', { type: () => Boolean, nullable: true }) replaceExisting?: boolean,
  ): Promise<CaseView> {
    return this.caseService.assign(ctx, caseId, userId, replaceExisting ?? false);
  }

  @Can('assign', 'Case')
  @Mutation(() => Case, { description: '担当を外す' })
  unassignCase(
    @Ctx() ctx: RequestContext,
    @Args('caseId', { type: () => ID }) caseId: string,
    @Args('userId', { type: () => ID }) userId: string,
  ): Promise<CaseView> {
    return this.caseService.unassign(ctx, caseId, userId);
  }

  @Can('update', 'Case')
  @Mutation(() => Case, { description: 'ケースを終結する' })
  closeCase(
    @Ctx() ctx: RequestContext,
    @Args('caseId', { type: () => ID }) caseId: string,
    @Args('reason') reason: string,
  ): Promise<CaseView> {
    return this.caseService.close(ctx, caseId, reason);
  }

  @ResolveField(() => Client)
  client(@Ctx() ctx: RequestContext, @Parent() c: CaseView, @Info() info: GraphQLResolveInfo) {
    return this.loaders.of(ctx).client(c.clientId, info);
  }

  @ResolveField(() => Organization)
  organization(@Ctx() ctx: RequestContext, @Parent() c: CaseView) {
    return this.loaders.of(ctx).organization.load(c.orgId);
  }

  @ResolveField(() => [User], { description: '現在の担当者' })
  async assignees(@Ctx() ctx: RequestContext, @Parent() c: CaseView) {
    return (await this.loaders.of(ctx).assignees.load(c.id)) ?? [];
  }

  @ResolveField(() => [Assignment], { description: '担当の履歴' })
  async assignments(@Ctx() ctx: RequestContext, @Parent() c: CaseView): Promise<AssignmentView[]> {
    return (await this.loaders.of(ctx).assignments.load(c.id)) ?? [];
  }

  @ResolveField(() => TimelineConnection, { description: '自機関の支援記録 (新しい順)' })
  timeline(
    @Ctx() ctx: RequestContext,
    @Parent() c: CaseView,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.loaders.of(ctx).timeline.load({ caseId: c.id, first, after });
  }
}

@Resolver(() => Assignment)
export class AssignmentResolver {
  constructor(private readonly loaders: LoaderFactory) {}

  @ResolveField(() => User)
  user(@Ctx() ctx: RequestContext, @Parent() a: AssignmentView) {
    return this.loaders.of(ctx).user.load(a.userId);
  }
}

@Resolver(() => TimelineEntry)
export class TimelineEntryResolver {
  constructor(private readonly loaders: LoaderFactory) {}

  @ResolveField(() => User, { nullable: true, description: '記録者 (他機関の職員は表示されない)' })
  author(@Ctx() ctx: RequestContext, @Parent() t: TimelineEntryView) {
    return t.authorUserId ? this.loaders.of(ctx).user.load(t.authorUserId) : null;
  }

  @ResolveField(() => Organization, { description: 'この記録の属する機関' })
  organization(@Ctx() ctx: RequestContext, @Parent() t: TimelineEntryView) {
    return this.loaders.of(ctx).organization.load(t.orgId);
  }

  @ResolveField(() => Organization, { description: '記録した機関' })
  authorOrganization(@Ctx() ctx: RequestContext, @Parent() t: TimelineEntryView) {
    return this.loaders.of(ctx).organization.load(t.authorOrgId);
  }
}
