import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import {
  HandoversService,
  MAX_BULK_HANDOVERS,
  type HandoverNoteView,
  type HandoverView,
  type RotationView as RotationViewModel,
  type TermEndingView,
} from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Case } from '../cases/cases.types.js';
import { LoaderFactory } from '../graphql/loaders.js';
import { User } from '../members/members.types.js';
import {
  Handover,
  HandoverAction,
  HandoverCaseNote,
  HandoverConnection,
  HandoverFilter,
  HandoverNoteInput,
  HandoverPackDetails,
  RotationView,
  StartHandoverInput,
  TermEnding,
} from './handovers.types.js';

@Resolver(() => Handover)
export class HandoversResolver {
  constructor(
    private readonly handoverService: HandoversService,
    private readonly loaders: LoaderFactory,
  ) {}

  @Can('read', 'Handover')
  @Query(() => Handover, {
    nullable: true,
    description: '引継ぎ (引継ぎ元・後任者・コーディネーターのみ。後任者の閲覧は監査上「引継ぎ」目的)',
  })
  handover(@Ctx() ctx: RequestContext, @Args('id', { type: () => ID }) id: string): Promise<HandoverView> {
    return this.handoverService.get(ctx, id);
  }

  @Can('read', 'Handover')
  @Query(() => HandoverConnection, {
    description: '引継ぎの一覧 (効力発生日の早い順)。後任者の受け取り一覧は incoming',
  })
  handovers(
    @Ctx() ctx: RequestContext,
    @Args('filter', { type: () => HandoverFilter, nullable: true }) filter?: HandoverFilter,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.handoverService.list(ctx, filter, first, after);
  }

  @Can('coordinate', 'Handover')
  @Query(() => RotationView, { description: '人事異動の準備状況 (コーディネーターのみ)' })
  rotation(
    @Ctx() ctx: RequestContext,
    @Args('withinDays', { type: () => Int, nullable: true, description: '任期満了までの日数 (既定30日)' })
    withinDays?: number,
  ): Promise<RotationViewModel> {
    return this.handoverService.rotation(ctx, withinDays ?? 30);
  }

  @Can('create', 'Handover')
  @Mutation(() => Handover, {
    description: '引継ぎを開始する (作成中)。ケースを省略すると引継ぎ元が担当する支援中の全ケース。',
  })
  startHandover(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => StartHandoverInput }) input: StartHandoverInput,
  ): Promise<HandoverView> {
    return this.handoverService.start(ctx, input);
  }

  @Can('create', 'Handover')
  @Mutation(() => [Handover], {
    description: `複数の職員の引継ぎを一度に開始する (最大${MAX_BULK_HANDOVERS}件。すべて成功するか、何も作成しない)`,
  })
  startHandovers(
    @Ctx() ctx: RequestContext,
    @Args('inputs', { type: () => [StartHandoverInput] }) inputs: StartHandoverInput[],
  ): Promise<HandoverView[]> {
    return this.handoverService.startMany(ctx, inputs);
  }

  @Can('update', 'Handover')
  @Mutation(() => HandoverCaseNote, { description: 'ケースの引継ぎノートを書く (新しい版として保存。提出前のみ)' })
  writeHandoverNote(
    @Ctx() ctx: RequestContext,
    @Args('handoverId', { type: () => ID }) handoverId: string,
    @Args('caseId', { type: () => ID }) caseId: string,
    @Args('input', { type: () => HandoverNoteInput }) input: HandoverNoteInput,
  ): Promise<HandoverNoteView> {
    return this.handoverService.writeNote(ctx, handoverId, caseId, input);
  }

  @Can('update', 'Handover')
  @Mutation(() => Handover, {
    description:
      '引継ぎを提出する。ノート (現在の状況) のないケースがあると拒否される。コーディネーターは理由を付けて提出できる。',
  })
  submitHandover(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('overrideReason', { type: () => String, nullable: true, description: 'ノート未記入のまま提出する理由' })
    overrideReason?: string,
  ): Promise<HandoverView> {
    return this.handoverService.submit(ctx, id, overrideReason);
  }

  @Can('acknowledge', 'Handover')
  @Mutation(() => Handover, {
    description: '後任者が引継ぎを確認する。効力発生日以降なら、同時に担当が後任者へ移る。',
  })
  acknowledgeHandover(@Ctx() ctx: RequestContext, @Args('id', { type: () => ID }) id: string): Promise<HandoverView> {
    return this.handoverService.acknowledge(ctx, id);
  }

  @Can('coordinate', 'Handover')
  @Mutation(() => Handover, { description: '後任者を変更する (提出前、コーディネーターのみ)' })
  reassignHandover(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('toUserId', { type: () => ID }) toUserId: string,
  ): Promise<HandoverView> {
    return this.handoverService.reassign(ctx, id, toUserId);
  }

  @Can('coordinate', 'Handover')
  @Mutation(() => Handover, { description: '引継ぎを中止する (担当の移行前、コーディネーターのみ。ノートは残る)' })
  cancelHandover(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
  ): Promise<HandoverView> {
    return this.handoverService.cancel(ctx, id, reason);
  }

  @ResolveField(() => User)
  fromUser(@Ctx() ctx: RequestContext, @Parent() h: HandoverView) {
    return this.loaders.of(ctx).user.load(h.fromUserId);
  }

  @ResolveField(() => User)
  toUser(@Ctx() ctx: RequestContext, @Parent() h: HandoverView) {
    return this.loaders.of(ctx).user.load(h.toUserId);
  }

  @ResolveField(() => [HandoverCaseNote], {
    description: 'ケースごとのノート (閲覧者が読めるケースのもののみ)。読むことは監査上「引継ぎ」目的のアクセス。',
  })
  async notes(@Ctx() ctx: RequestContext, @Parent() h: HandoverView): Promise<HandoverNoteView[]> {
    const loaders = this.loaders.of(ctx);
    const notes = (await loaders.handoverNotes.load(h.id)) ?? [];
    const cases = await loaders.case.loadMany(notes.map((n) => n.caseId));
    return notes.filter((_, i) => cases[i] && !(cases[i] instanceof Error));
  }
}

@Resolver(() => HandoverCaseNote)
export class HandoverCaseNoteResolver {
  constructor(private readonly loaders: LoaderFactory) {}

  @ResolveField(() => Case)
  case(@Ctx() ctx: RequestContext, @Parent() n: HandoverNoteView) {
    return this.loaders.of(ctx).case.load(n.caseId);
  }

  @ResolveField(() => [String], { description: '次の対応' })
  nextActions(@Parent() n: HandoverNoteView): string[] {
    return n.actions.map((a) => a.text);
  }

  @ResolveField(() => [HandoverAction], { description: '次の対応 (期限つき)' })
  actions(@Parent() n: HandoverNoteView) {
    return n.actions;
  }

  @ResolveField(() => User, { nullable: true, description: 'この版を書いた職員' })
  writtenBy(@Ctx() ctx: RequestContext, @Parent() n: HandoverNoteView) {
    return n.writtenBy ? this.loaders.of(ctx).user.load(n.writtenBy) : null;
  }

  @ResolveField(() => String, {
    description: '引継ぎパック: 紹介・同意・フォローアップ・直近の記録・関わる他機関 (システムの記録から生成)',
  })
  async pack(@Ctx() ctx: RequestContext, @Parent() n: HandoverNoteView): Promise<string> {
    return (await this.loaders.of(ctx).handoverPack.load(n.caseId))?.text ?? '';
  }

  @ResolveField(() => HandoverPackDetails, { description: '引継ぎパックの内容 (構造化)' })
  async packDetails(@Ctx() ctx: RequestContext, @Parent() n: HandoverNoteView) {
    return this.loaders.of(ctx).handoverPack.load(n.caseId);
  }
}

@Resolver(() => TermEnding)
export class TermEndingResolver {
  constructor(private readonly loaders: LoaderFactory) {}

  @ResolveField(() => User)
  user(@Ctx() ctx: RequestContext, @Parent() t: TermEndingView) {
    return this.loaders.of(ctx).user.load(t.userId);
  }
}
