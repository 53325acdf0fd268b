import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { AggregateKind, ExportScope, ExportStatus } from '@tasuki/domain';
import { ExportStatusEnum } from '../graphql/enums.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';

@InputType({ description: '匿名加工データの作成の依頼。期間は受付日・就職日・紹介日に適用 (省略時は基準日まで全期間)' })
export class ExportInput {
  @Field(() => DateScalar, { nullable: true, description: '期間の開始日' })
  from?: string | null;

  @Field(() => DateScalar, { nullable: true, description: '期間の終了日 (今日まで)' })
  to?: string | null;

  @Field(() => Int, { nullable: true, description: 'k-匿名性の k (既定 5、3〜50)' })
  k?: number | null;
}

@ObjectType({ description: '選ばれた一般化の段階 (準識別子ごと)' })
export class ExportGeneralization {
  @Field({ description: '列名' })
  column!: string;

  @Field({ description: '列の見出し' })
  label!: string;

  @Field(() => Int, { description: '段階 (0 が最も詳しい)' })
  level!: number;

  @Field({ description: '段階の名前 (5歳階級、地方など)' })
  levelName!: string;

  @Field(() => Int, { description: '最も粗い段階' })
  maxLevel!: number;
}

@ObjectType({
  description:
    '集計表。COUNT は最後の行と列が合計で、10未満の値と合計から逆算できる値は null (秘匿)。RATE と MEDIAN は公表された件数から計算し、計算できない区分は null。',
})
export class AggregateTable {
  @Field({ description: '表の識別名 (newClients.fiscalYear.region など)' })
  name!: string;

  @Field({ description: '表題' })
  title!: string;

  @Field({ description: '集計対象 (同じ measure の COUNT 表は合計を共有する)' })
  measure!: string;

  @Field(() => String, { description: 'COUNT (件数)、RATE (割合, %)、MEDIAN (中央値)' })
  kind!: AggregateKind;

  @Field({ description: '単位' })
  unit!: string;

  @Field({ description: '行の区分' })
  rowDimension!: string;

  @Field({ description: '列の区分' })
  columnDimension!: string;

  @Field(() => [String], { description: '行の見出し' })
  rows!: string[];

  @Field(() => [String], { description: '列の見出し' })
  columns!: string[];

  @Field(() => [[Float]], { nullable: 'items', description: '値 (行 × 列)。null は秘匿または非公表' })
  cells!: (number | null)[][];

  @Field(() => String, { nullable: true, description: '注記' })
  note!: string | null;
}

@ObjectType({
  description:
    '匿名加工データ (統計) のエクスポート。統計利用に同意した相談者だけを含み、個人を特定できる項目や内部IDは含まない。依頼した機関の分析担当だけが見られる。',
})
export class ReportExport {
  @Field(() => ID)
  id!: string;

  @Field(() => ExportStatusEnum)
  status!: ExportStatus;

  @Field(() => DateTimeScalar, { description: '依頼日時' })
  requestedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: '作成を終えた日時 (完了・失敗)' })
  finishedAt!: Date | null;

  @Field(() => Int, { nullable: true, description: '公表した行数' })
  rowCount!: number | null;

  @Field(() => Int, { nullable: true, description: 'k・ℓ を満たさず削除した行数' })
  suppressedCount!: number | null;

  @Field(() => Int, { description: 'k-匿名性の k' })
  k!: number;

  @Field(() => [String], { nullable: true, description: 'CSV の列名 (順に)' })
  columns!: string[] | null;

  @Field(() => Int, { description: 'ℓ-多様性の ℓ (各区分の支援の状況の種類数の下限)' })
  l!: number;

  @Field(() => DateScalar, { nullable: true, description: '期間の開始日' })
  from!: string | null;

  @Field(() => DateScalar, { nullable: true, description: '期間の終了日' })
  to!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '対象者と同意を読んだ時点 (スナップショット)' })
  snapshotAt!: Date | null;

  @Field(() => Int, { nullable: true, description: '対象者数 (同意があり期間内に受付した相談者)' })
  cohortCount!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      '対象範囲。OWN: 自機関の相談者のみ。OWN_AND_CONSENTED (市区町村): 自機関の相談者と、統計利用の同意で当機関を提供先に含む他機関の相談者',
  })
  scope!: ExportScope | null;

  @Field(() => Int, {
    nullable: true,
    description: '対象者数のうち、他機関の相談者で同意により含めた人数',
  })
  consentedCohortCount!: number | null;

  @Field(() => [String], { nullable: true, description: 'CSV の列の見出し (columns と同じ順)' })
  columnLabels!: string[] | null;

  @Field(() => [ExportGeneralization], { nullable: true, description: '選ばれた一般化' })
  generalization!: ExportGeneralization[] | null;

  @Field(() => String, {
    nullable: true,
    description: '削除が5%を超えた理由 (そのときは最も粗い一般化で公表する)',
  })
  shortfall!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'ダウンロードの期限' })
  expiresAt!: Date | null;

  @Field({ description: '期限切れ (CSV と集計表はもう取得できない)' })
  expired!: boolean;

  @Field(() => String, { nullable: true, description: '失敗の理由' })
  error!: string | null;
}
