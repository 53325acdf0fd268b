import { Args, ID, Info, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import {
  ClientsService,
  type CaseView,
  type ClientView,
  type ConsentGrantView,
  type DataProvisionView,
  type TimelineEntryView,
} from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Case, TimelineEntry } from '../cases/cases.types.js';
import { ConsentGrant } from '../consents/consents.types.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { selectedFields } from '../graphql/selection.js';
import { Organization } from '../organizations/organizations.types.js';
import { Client, DataProvision, RegisterClientInput } from './clients.types.js';

@Resolver(() => Client)
export class ClientsResolver {
  constructor(
    private readonly clients: ClientsService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('read', 'Client')
  @Query(() => Client, {
    nullable: true,
    description: '相談者 (自機関のケースを通じて閲覧できる相談者のみ)。個人情報の項目の閲覧は監査記録に残る。',
  })
  client(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ClientView> {
    return this.clients.get(ctx, id, selectedFields(info));
  }

  @Can('create', 'Client')
  @Mutation(() => Case, { description: '相談者を登録し、自機関の支援ケースを開始する (登録者が担当)' })
  registerClient(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => RegisterClientInput }) input: RegisterClientInput,
  ): Promise<CaseView> {
    return this.clients.register(ctx, input);
  }

  @ResolveField(() => [ConsentGrant], {
    description: '閲覧できる同意 (自機関が記録したもの、自機関を提供先とするもの)',
  })
  async consents(@Ctx() ctx: RequestContext, @Parent() client: ClientView): Promise<ConsentGrantView[]> {
    return (await this.loaders.of(ctx).consentsOfClient.load(client.id)) ?? [];
  }

  @ResolveField(() => [TimelineEntry], {
    description: '他機関から共有された支援記録 (紹介で NOTES が共有され、有効な同意があるときのみ。新しい順に最大50件)',
  })
  async sharedNotes(@Ctx() ctx: RequestContext, @Parent() client: ClientView): Promise<TimelineEntryView[]> {
    return (await this.loaders.of(ctx).sharedNotes.load(client.id)) ?? [];
  }

  @ResolveField(() => [DataProvision], { description: '第三者提供記録 (自機関が提供したもの)' })
  async provisions(@Ctx() ctx: RequestContext, @Parent() client: ClientView): Promise<DataProvisionView[]> {
    return (await this.loaders.of(ctx).provisionsOfClient.load(client.id)) ?? [];
  }
}

@Resolver(() => DataProvision)
export class DataProvisionResolver {
  constructor(private readonly loaders: LoaderFactory) {}

  @ResolveField(() => Organization, { description: '提供先' })
  async recipient(@Ctx() ctx: RequestContext, @Parent() p: DataProvisionView) {
    return this.loaders.of(ctx).organization.load(p.recipientOrgId);
  }

  @ResolveField(() => ConsentGrant, { description: '依拠した同意' })
  async consent(@Ctx() ctx: RequestContext, @Parent() p: DataProvisionView) {
    return this.loaders.of(ctx).consent.load(p.consentId);
  }
}
