import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ReportExportsService, type AggregateTable as AggregateTableView, type ReportExportView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { AggregateTable, ExportInput, ReportExport } from './reporting.types.js';

@Resolver(() => ReportExport)
export class ReportingResolver {
  constructor(private readonly exportService: ReportExportsService) {}

  @Can('export', 'ReportExport')
  @Mutation(() => ReportExport, {
    description:
      '匿名加工データ (統計) の作成を依頼する (分析担当)。作成はワーカーが行い、状態は reportExport で確認する。作成中の依頼がある間は CONFLICT。',
  })
  requestAnonymizedExport(
    @Ctx() ctx: RequestContext,
    @Args('input', { type: () => ExportInput, nullable: true }) input?: ExportInput | null,
  ): Promise<ReportExportView> {
    return this.exportService.request(ctx, input);
  }

  @Can('read', 'ReportExport')
  @Query(() => ReportExport, { nullable: true, description: '匿名加工データのエクスポート (自機関のもの)' })
  reportExport(@Ctx() ctx: RequestContext, @Args('id', { type: () => ID }) id: string): Promise<ReportExportView> {
    return this.exportService.get(ctx, id);
  }

  @ResolveField(() => String, {
    nullable: true,
    description:
      '個票の CSV (完了後、期限まで)。GET /exports/:id.csv でも同じ認証で取得できる。取得は監査ログに記録される。',
  })
  csv(@Ctx() ctx: RequestContext, @Parent() e: ReportExportView): Promise<string | null> {
    return this.exportService.csv(ctx, e.id);
  }

  @ResolveField(() => [AggregateTable], {
    nullable: true,
    description: '集計表 (完了後、期限まで)。取得は監査ログに記録される。',
  })
  aggregates(@Ctx() ctx: RequestContext, @Parent() e: ReportExportView): Promise<AggregateTableView[] | null> {
    return this.exportService.aggregates(ctx, e.id);
  }
}
