import { Args, ID, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { PlacementsService, type CaseView, type FollowUpView, type PlacementView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Case } from '../cases/cases.types.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { FollowUp, FollowUpInput, Placement, PlacementInput, SeparationInput } from './placements.types.js';

@Resolver(() => Placement)
export class PlacementsResolver {
  constructor(
    private readonly placementService: PlacementsService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('create', 'Placement')
  @Mutation(() => Case, {
    description:
      '就職を記録する。ケースは「就職」フェーズになり、2週間・1か月・3か月・6か月・12か月のフォローアップが予定される。離職が記録されていない就職があるケースには記録できない (CONFLICT)。',
  })
  recordPlacement(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => PlacementInput }) input: PlacementInput,
  ): Promise<CaseView> {
    return this.placementService.recordPlacement(ctx, input);
  }

  @Can('update', 'Placement')
  @Mutation(() => FollowUp, {
    description: 'フォローアップの実施を記録する (予定・未実施のもの)。記録は支援記録に残る。',
  })
  recordFollowUp(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('input', { type: () => FollowUpInput }) input: FollowUpInput,
  ): Promise<FollowUpView> {
    return this.placementService.recordFollowUp(ctx, id, input);
  }

  @Can('update', 'Placement')
  @Mutation(() => Placement, {
    description:
      '離職を記録する。離職日より後の予定のフォローアップは中止になり、「就職」「定着支援」フェーズのケースは「求職活動」に戻る。',
  })
  recordSeparation(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('input', { type: () => SeparationInput }) input: SeparationInput,
  ): Promise<PlacementView> {
    return this.placementService.recordSeparation(ctx, id, input);
  }

  @ResolveField(() => [FollowUp], { description: 'この就職のフォローアップ (予定日順)' })
  async followUps(@Ctx() ctx: RequestContext, @Parent() p: PlacementView): Promise<FollowUpView[]> {
    const ofCase = (await this.loaders.of(ctx).followUpsOfCase.load(p.caseId)) ?? [];
    return ofCase.filter((f) => f.placementId === p.id);
  }
}

/** The placements and follow-ups of a case. */
@Resolver(() => Case)
export class CasePlacementsResolver {
  constructor(private readonly loaders: LoaderFactory) {}

  @ResolveField(() => [Placement], { description: '就職の記録 (新しい順)' })
  async placements(@Ctx() ctx: RequestContext, @Parent() c: CaseView): Promise<PlacementView[]> {
    return (await this.loaders.of(ctx).placementsOfCase.load(c.id)) ?? [];
  }

  @ResolveField(() => [FollowUp], { description: '定着支援のフォローアップ (予定日順、すべての就職の分)' })
  async followUps(@Ctx() ctx: RequestContext, @Parent() c: CaseView): Promise<FollowUpView[]> {
    return (await this.loaders.of(ctx).followUpsOfCase.load(c.id)) ?? [];
  }
}
