import { Args, ID, Info, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { ConsentsService, type ConsentGrantView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Client } from '../clients/clients.types.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { Organization } from '../organizations/organizations.types.js';
import { ConsentGrant, RecordConsentInput } from './consents.types.js';

@Resolver(() => ConsentGrant)
export class ConsentsResolver {
  constructor(
    private readonly consents: ConsentsService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('create', 'ConsentGrant')
  @Mutation(() => ConsentGrant, { description: '本人の同意を記録する' })
  recordConsent(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => RecordConsentInput }) input: RecordConsentInput,
  ): Promise<ConsentGrantView> {
    return this.consents.record(ctx, input);
  }

  @Can('update', 'ConsentGrant')
  @Mutation(() => ConsentGrant, {
    description: '同意の撤回を記録する。ただちに適用され、回答待ちの紹介は取り消される。',
  })
  withdrawConsent(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
  ): Promise<ConsentGrantView> {
    return this.consents.withdraw(ctx, id, reason);
  }

  @ResolveField(() => Client)
  client(@Ctx() ctx: RequestContext, @Parent() g: ConsentGrantView, @Info() info: GraphQLResolveInfo) {
    return this.loaders.of(ctx).client(g.clientId, info);
  }

  @ResolveField(() => [Organization], { description: '提供先の機関' })
  async recipients(@Ctx() ctx: RequestContext, @Parent() g: ConsentGrantView) {
    const orgs = await this.loaders.of(ctx).organization.loadMany(g.recipientOrgIds);
    return orgs.filter((o) => o && !(o instanceof Error));
  }

  @ResolveField(() => Organization, { description: '同意を記録した機関' })
  organization(@Ctx() ctx: RequestContext, @Parent() g: ConsentGrantView) {
    return this.loaders.of(ctx).organization.load(g.orgId);
  }
}
