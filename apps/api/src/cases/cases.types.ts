import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { CasePhase, CaseStatus } from '@tasuki/domain';
import { CasePhaseEnum, CaseStatusEnum } from '../graphql/enums.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';
import { PageInfo } from '../graphql/common.types.js';

@ObjectType({ description: '支援ケース: 1つの機関が1人の相談者について持つケース' })
export class Case {
  @Field(() => ID)
  id!: string;

  @Field(() => CaseStatusEnum)
  status!: CaseStatus;

  @Field(() => CasePhaseEnum)
  phase!: CasePhase;

  @Field(() => DateTimeScalar, { description: '開始日時' })
  openedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: '終結日時' })
  closedAt!: Date | null;

  @Field(() => String, { nullable: true, description: '終結の理由' })
  closeReason!: string | null;

  @Field(() => DateTimeScalar, { description: '最後の記録の日時' })
  lastActivityAt!: Date;

  @Field(() => Int, { description: '進行中の紹介 (送付済み・開封済み・受理) の数' })
  openReferralCount!: number;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: '次の定着支援フォローアップの予定日 (日本時間のその日の0時)。予定のまま期日を過ぎたものを含む。',
  })
  nextFollowUpAt!: Date | null;

  @Field(() => DateScalar, { nullable: true, description: '次の定着支援フォローアップの予定日 (暦日)' })
  nextFollowUpOn!: string | null;
}

@ObjectType()
export class CaseConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [Case])
  nodes!: Case[];
}

@ObjectType({ description: '担当の履歴 (開始・終了)' })
export class Assignment {
  @Field(() => DateTimeScalar)
  from!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  to!: Date | null;
}

@ObjectType({ description: '支援記録 (追記のみ。訂正は訂正対象を指す新しい記録)' })
export class TimelineEntry {
  @Field(() => ID)
  id!: string;

  @Field({ description: '記録の種類 (INTAKE, CONSULTATION, NOTE, CORRECTION, REFERRAL_*, CONSENT_* など)' })
  kind!: string;

  @Field(() => DateTimeScalar, { description: '実施日時' })
  occurredAt!: Date;

  @Field(() => DateTimeScalar, { description: '記録日時' })
  recordedAt!: Date;

  @Field({ description: '要約' })
  summary!: string;

  @Field(() => String, { nullable: true, description: '本文' })
  body!: string | null;

  @Field(() => ID, { nullable: true, description: '訂正対象の記録' })
  correctsEntryId!: string | null;

  @Field(() => ID, { nullable: true, description: '関係する紹介' })
  referralId!: string | null;
}

@ObjectType()
export class TimelineConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [TimelineEntry])
  nodes!: TimelineEntry[];
}

@InputType({ description: 'ケース一覧の絞り込み' })
export class CaseFilter {
  @Field(() => CaseStatusEnum, { nullable: true })
  status?: CaseStatus | null;

  @Field(() => CasePhaseEnum, { nullable: true })
  phase?: CasePhase | null;

  @Field(() => ID, { nullable: true, description: 'この利用者が担当しているケース' })
  assigneeId?: string | null;

  @Field(() => Boolean, { nullable: true, description: '担当者がいない (true) / いる (false)' })
  unassigned?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'この日数以上、記録がない' })
  staleDays?: number | null;

  @Field(() => Boolean, { nullable: true, description: '進行中の紹介がある' })
  hasOpenReferral?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'この日数以内に期限切れになる同意がある' })
  consentExpiringWithinDays?: number | null;
}

@InputType({ description: '支援記録の追加' })
export class AddTimelineEntryInput {
  @Field(() => ID)
  caseId!: string;

  @Field({ description: 'INTAKE / CONSULTATION / NOTE / CORRECTION' })
  kind!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: '実施日時 (省略時は現在)' })
  occurredAt?: Date | null;

  @Field({ description: '要約 (200文字以内)' })
  summary!: string;

  @Field(() => String, { nullable: true, description: '本文 (10,000文字以内)' })
  body?: string | null;

  @Field(() => ID, { nullable: true, description: '訂正する記録 (kind が CORRECTION のとき)' })
  correctsEntryId?: string | null;
}
