import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { DataCategory, DeclineCode, ReferralReason, ReferralStatus, Urgency } from '@tasuki/domain';
import {
  DataCategoryEnum,
  DeclineCodeEnum,
  ReferralReasonEnum,
  ReferralStatusEnum,
  UrgencyEnum,
} from '../graphql/enums.js';
import { PageInfo } from '../graphql/common.types.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ description: '機関紹介' })
export class Referral {
  @Field(() => ID)
  id!: string;

  @Field(() => ReferralReasonEnum)
  reason!: ReferralReason;

  @Field(() => UrgencyEnum)
  urgency!: Urgency;

  @Field(() => String, { nullable: true, description: '紹介先へのメッセージ' })
  message!: string | null;

  @Field(() => [DataCategoryEnum], { description: '共有する情報の区分' })
  sharedCategories!: DataCategory[];

  @Field(() => ReferralStatusEnum)
  status!: ReferralStatus;

  @Field(() => String, {
    nullable: true,
    description: '取消・辞退・不成立の理由 (同意撤回による取消は CONSENT_WITHDRAWN)',
  })
  statusReason!: string | null;

  @Field(() => DeclineCodeEnum, { nullable: true })
  declineCode!: DeclineCode | null;

  @Field(() => String, { nullable: true, description: '完了時の結果' })
  outcome!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  sentAt!: Date | null;

  @Field(() => DateScalar, { nullable: true, description: '回答期限' })
  respondBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '紹介先が開封した日時' })
  receivedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '受理・辞退の日時' })
  respondedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '終了 (完了・辞退・取消・不成立) の日時' })
  closedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: '再紹介のときの元の紹介' })
  previousReferralId!: string | null;
}

@ObjectType()
export class ReferralConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [Referral])
  nodes!: Referral[];
}

@ObjectType({ description: '紹介の状態遷移の記録' })
export class ReferralTransition {
  @Field(() => ReferralStatusEnum, { nullable: true })
  fromStatus!: ReferralStatus | null;

  @Field(() => ReferralStatusEnum)
  toStatus!: ReferralStatus;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { nullable: true })
  code!: string | null;
}

@InputType({ description: '機関紹介の送付' })
export class SendReferralInput {
  @Field(() => ID, { description: '紹介元のケース' })
  caseId!: string;

  @Field(() => ID)
  toOrganizationId!: string;

  @Field(() => ReferralReasonEnum)
  reason!: ReferralReason;

  @Field(() => String, { nullable: true })
  message?: string | null;

  @Field(() => [DataCategoryEnum])
  sharedCategories!: DataCategory[];

  @Field(() => DateScalar, { nullable: true, description: '回答期限 (省略時は5営業日後)' })
  respondBy?: string | null;

  @Field(() => UrgencyEnum, { nullable: true })
  urgency?: Urgency | null;

  @Field(() => ID, { nullable: true, description: '再紹介のときの元の紹介' })
  previousReferralId?: string | null;
}
