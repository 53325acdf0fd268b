import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { OrganizationsService } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import {
  CreateOrganizationInput,
  Organization,
  OrganizationConnection,
  OrganizationFilter,
} from './organizations.types.js';

@Resolver(() => Organization)
export class OrganizationsResolver {
  constructor(private readonly directory: OrganizationsService) {}

  @Can('read', 'Organization')
  @Query(() => OrganizationConnection, { description: '機関ディレクトリ (全機関共通)' })
  organizations(
    @Ctx() ctx: RequestContext,
    @Args('filter', { type: () => OrganizationFilter, nullable: true }) filter?: OrganizationFilter,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<OrganizationConnection> {
    return this.directory.list(ctx, filter, first, after);
  }

  @Can('create', 'Organization')
  @Mutation(() => Organization, { description: '機関をネットワークに追加する (プラットフォーム運営者のみ)' })
  createOrganization(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => CreateOrganizationInput }) input: CreateOrganizationInput,
  ): Promise<Organization> {
    return this.directory.create(ctx, input);
  }
}
