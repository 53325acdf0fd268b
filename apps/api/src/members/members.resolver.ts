import { Args, ID, Mutation, Resolver } from '@nestjs/graphql';
import { MembersService } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { AddMemberInput, Membership } from './members.types.js';

@Resolver(() => Membership)
export class MembersResolver {
  constructor(private readonly members: MembersService) {}

  @Can('create', 'Membership')
  @Mutation(() => Membership, {
    description: '機関にメンバーを追加する (プラットフォーム運営者、またはその機関の機関管理者)',
  })
  addMember(
    @Ctx() ctx: RequestContext,
    @Args('organizationId', { type: () => ID }) organizationId: string,
    @Args('input', { type: () => AddMemberInput }) input: AddMemberInput,
  ): Promise<Membership> {
    return this.members.addMember(ctx, organizationId, input);
  }
}
