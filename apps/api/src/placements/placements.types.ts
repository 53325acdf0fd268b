import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import type {
  EmploymentType,
  FollowUpMethod,
  FollowUpMilestone,
  FollowUpStatus,
  PlacementRoute,
  WeeklyHoursBand,
} from '@tasuki/domain';
import {
  EmploymentTypeEnum,
  FollowUpMethodEnum,
  FollowUpMilestoneEnum,
  FollowUpStatusEnum,
  PlacementRouteEnum,
  WeeklyHoursBandEnum,
} from '../graphql/enums.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ description: '就職 (雇用先・就職日・採用区分など。雇用先は EMPLOYMENT 区分の情報)' })
export class Placement {
  @Field(() => ID)
  id!: string;

  @Field({ description: '雇用先 (事業所名)' })
  employerName!: string;

  @Field(() => DateScalar, { description: '就職日' })
  startDate!: string;

  @Field(() => EmploymentTypeEnum, { nullable: true })
  employmentType!: EmploymentType | null;

  @Field(() => PlacementRouteEnum)
  route!: PlacementRoute;

  @Field(() => WeeklyHoursBandEnum)
  weeklyHoursBand!: WeeklyHoursBand;

  @Field(() => DateScalar, { nullable: true, description: '離職日 (記録されていれば)' })
  separatedOn!: string | null;

  @Field(() => String, { nullable: true, description: '離職の理由' })
  separationReason!: string | null;

  @Field(() => DateTimeScalar, { description: '就職を記録した日時' })
  recordedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: '離職を記録した日時' })
  separationRecordedAt!: Date | null;
}

@ObjectType({ description: '定着支援のフォローアップ (就職から2週間・1か月・3か月・6か月・12か月)' })
export class FollowUp {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'このフォローアップを予定した就職' })
  placementId!: string;

  @Field(() => FollowUpMilestoneEnum)
  milestone!: FollowUpMilestone;

  @Field(() => DateScalar, { description: '予定日' })
  dueOn!: string;

  @Field(() => FollowUpStatusEnum)
  status!: FollowUpStatus;

  @Field(() => DateTimeScalar, { nullable: true, description: '実施日時' })
  doneAt!: Date | null;

  @Field(() => FollowUpMethodEnum, { nullable: true, description: '実施方法' })
  method!: FollowUpMethod | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '状態が予定から変わった日時' })
  statusChangedAt!: Date | null;
}

@InputType({ description: '就職の記録' })
export class PlacementInput {
  @Field(() => ID)
  caseId!: string;

  @Field({ description: '雇用先 (200文字以内)' })
  employerName!: string;

  @Field(() => DateScalar, { description: '就職日 (2000-01-01 から1年後まで)' })
  startDate!: string;

  @Field({
    description:
      '採用区分: DISABILITY_VACANCY (障害者求人) / GENERAL_OPEN (一般・開示) / GENERAL_CLOSED (一般・非開示)',
  })
  route!: string;

  @Field({
    description:
      '週の所定労働時間: UNDER_10 (10時間未満) / FROM_10_UNDER_20 (10〜20時間未満) / FROM_20_UNDER_30 (20〜30時間未満) / FROM_30 (30時間以上)',
  })
  weeklyHoursBand!: string;

  @Field(() => EmploymentTypeEnum, { nullable: true })
  employmentType?: EmploymentType | null;
}

@InputType({ description: 'フォローアップの実施の記録' })
export class FollowUpInput {
  @Field(() => FollowUpMethodEnum)
  method!: FollowUpMethod;

  @Field(() => String, { nullable: true, description: '記録 (支援記録の本文になる。10,000文字以内)' })
  note?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '実施日時 (省略時は現在)' })
  doneAt?: Date | null;
}

@InputType({ description: '離職の記録' })
export class SeparationInput {
  @Field(() => DateScalar, { description: '離職日 (就職日から今日まで)' })
  separatedOn!: string;

  @Field({ description: '離職の理由 (1,000文字以内)' })
  reason!: string;
}
