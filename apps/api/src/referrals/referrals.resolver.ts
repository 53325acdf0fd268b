import { Args, ID, Info, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { ReferralsService, type ReferralDirection, type ReferralStatus, type ReferralView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Case } from '../cases/cases.types.js';
import { Client } from '../clients/clients.types.js';
import { ConsentGrant } from '../consents/consents.types.js';
import { DeclineCodeEnum, ReferralDirectionEnum, ReferralStatusEnum } from '../graphql/enums.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { Organization } from '../organizations/organizations.types.js';
import { Referral, ReferralConnection, ReferralTransition, SendReferralInput } from './referrals.types.js';

@Resolver(() => Referral)
export class ReferralsResolver {
  constructor(
    private readonly referralService: ReferralsService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('read', 'Referral')
  @Query(() => Referral, {
    nullable: true,
    description: '紹介。紹介先の機関が初めて開くと「開封済み (RECEIVED)」になる。',
  })
  referral(@Ctx() ctx: RequestContext, @Args('id', { type: () => ID }) id: string): Promise<ReferralView> {
    return this.referralService.get(ctx, id);
  }

  @Can('read', 'Referral')
  @Query(() => ReferralConnection, { description: '受けた紹介・送った紹介の一覧 (新しい順)' })
  referrals(
    @Ctx() ctx: RequestContext,
    @Args('direction', { type: () => ReferralDirectionEnum }) direction: ReferralDirection,
    @Args('status', { type: () => [ReferralStatusEnum], nullable: true }) status?: ReferralStatus[],
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.referralService.list(ctx, direction, status, first, after);
  }

  @Can('create', 'Referral')
  @Mutation(() => Referral, {
    description: '紹介を送付する。紹介先・機関紹介の目的・共有する全区分を含む有効な同意が必要 (CONSENT_REQUIRED)。',
  })
  sendReferral(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => SendReferralInput }) input: SendReferralInput,
  ): Promise<ReferralView> {
    return this.referralService.send(ctx, input);
  }

  @Can('answer', 'Referral')
  @Mutation(() => Referral, { description: '受けた紹介を受理し、自機関のケースを開始する' })
  acceptReferral(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('assigneeId', { type: () => ID, nullable: true }) assigneeId?: string,
  ): Promise<ReferralView> {
    return this.referralService.accept(ctx, id, assigneeId);
  }

  @Can('answer', 'Referral')
  @Mutation(() => Referral, { description: '受けた紹介を辞退する' })
  declineReferral(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('code', { type: () => DeclineCodeEnum }) code: string,
    @Args('reason') reason: string,
  ): Promise<ReferralView> {
    return this.referralService.decline(ctx, id, code, reason);
  }

  @Can('update', 'Referral')
  @Mutation(() => Referral, { description: '送った紹介を取り消す' })
  cancelReferral(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
  ): Promise<ReferralView> {
    return this.referralService.cancel(ctx, id, reason);
  }

  @Can('update', 'Referral')
  @Mutation(() => Referral, { description: '受理した紹介による支援の完了を記録する' })
  completeReferral(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('outcome') outcome: string,
  ): Promise<ReferralView> {
    return this.referralService.complete(ctx, id, outcome);
  }

  @Can('update', 'Referral')
  @Mutation(() => Referral, { description: '受理した紹介による支援が不成立となったことを記録する' })
  failReferral(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
  ): Promise<ReferralView> {
    return this.referralService.fail(ctx, id, reason);
  }

  @ResolveField(() => Client, { description: '相談者 (紹介先には、受理後に共有かつ同意された区分のみ)' })
  client(@Ctx() ctx: RequestContext, @Parent() r: ReferralView, @Info() info: GraphQLResolveInfo) {
    return this.loaders.of(ctx).client(r.clientId, info);
  }

  @ResolveField(() => Organization)
  fromOrganization(@Ctx() ctx: RequestContext, @Parent() r: ReferralView) {
    return this.loaders.of(ctx).organization.load(r.fromOrgId);
  }

  @ResolveField(() => Organization)
  toOrganization(@Ctx() ctx: RequestContext, @Parent() r: ReferralView) {
    return this.loaders.of(ctx).organization.load(r.toOrgId);
  }

  @ResolveField(() => Case, { nullable: true, description: '紹介元のケース (紹介先には null)' })
  fromCase(@Ctx() ctx: RequestContext, @Parent() r: ReferralView) {
    return r.fromCaseId ? this.loaders.of(ctx).case.load(r.fromCaseId) : null;
  }

  @ResolveField(() => Case, { nullable: true, description: '紹介先のケース (受理後。紹介元には null)' })
  toCase(@Ctx() ctx: RequestContext, @Parent() r: ReferralView) {
    return r.toCaseId ? this.loaders.of(ctx).case.load(r.toCaseId) : null;
  }

  @ResolveField(() => ConsentGrant, { nullable: true, description: '依拠した同意' })
  consent(@Ctx() ctx: RequestContext, @Parent() r: ReferralView) {
    return this.loaders.of(ctx).consent.load(r.consentId);
  }

  @ResolveField(() => [ReferralTransition], { description: '状態遷移の履歴 (古い順)' })
  async history(@Ctx() ctx: RequestContext, @Parent() r: ReferralView) {
    return (await this.loaders.of(ctx).referralHistory.load(r.id)) ?? [];
  }
}
