import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type {
  ConsentPurpose,
  ConsentStatus,
  DataCategory,
  FollowUpMilestone,
  HandoverOverdue,
  HandoverReason,
  HandoverStatus,
  OrganizationKind,
  ReferralReason,
  ReferralStatus,
} from '@tasuki/domain';
import { PageInfo } from '../graphql/common.types.js';
import {
  ConsentPurposeEnum,
  ConsentStatusEnum,
  DataCategoryEnum,
  FollowUpMilestoneEnum,
  HandoverOverdueEnum,
  HandoverReasonEnum,
  HandoverStatusEnum,
  OrganizationKindEnum,
  PackReferralDirectionEnum,
  ReferralReasonEnum,
  ReferralStatusEnum,
} from '../graphql/enums.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ description: '引継ぎ (人事異動・任期満了などで担当者が交代するときの引継ぎ)' })
export class Handover {
  @Field(() => ID)
  id!: string;

  @Field(() => HandoverReasonEnum)
  reason!: HandoverReason;

  @Field(() => DateScalar, { description: '効力発生日: この日に担当が後任者へ移る' })
  effectiveOn!: string;

  @Field(() => HandoverStatusEnum)
  status!: HandoverStatus;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  submittedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'ノート未記入のまま提出したときのコーディネーターの理由' })
  overrideReason!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '後任者が確認した日時' })
  acknowledgedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  cancelledAt!: Date | null;

  @Field(() => String, { nullable: true })
  cancelReason!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '担当が後任者へ移った日時' })
  movedAt!: Date | null;

  @Field(() => HandoverOverdueEnum, {
    nullable: true,
    description: '効力発生日までに未提出、または効力発生日から3日を過ぎて未確認のとき (コーディネーターへ督促)',
  })
  overdue!: HandoverOverdue | null;
}

@ObjectType({ description: '次の対応 (期限つき)' })
export class HandoverAction {
  @Field()
  text!: string;

  @Field(() => DateScalar, { nullable: true, description: '期限' })
  dueOn!: string | null;
}

@ObjectType({ description: 'ケースごとの引継ぎノート (本人しか知らないこと)' })
export class HandoverCaseNote {
  @Field(() => ID)
  handoverId!: string;

  @Field(() => Int, { description: '版 (書き直すたびに増え、過去の版も保存される。未記入は0)' })
  version!: number;

  @Field(() => String, { nullable: true, description: '現在の状況' })
  situation!: string | null;

  @Field(() => String, { nullable: true, description: '注意点・配慮事項' })
  cautions!: string | null;

  @Field(() => String, { nullable: true, description: '他機関の主な連絡先 (担当者)' })
  keyContacts!: string | null;

  @Field(() => DateScalar, { nullable: true, description: '本人に担当交代を伝えた日' })
  clientInformedOn!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  writtenAt!: Date | null;
}

@ObjectType({ description: '引継ぎパックの紹介' })
export class PackReferral {
  @Field(() => ID)
  referralId!: string;

  @Field(() => PackReferralDirectionEnum)
  direction!: 'OUTGOING' | 'INCOMING';

  @Field(() => ID)
  organizationId!: string;

  @Field()
  organizationName!: string;

  @Field(() => ReferralReasonEnum)
  reason!: ReferralReason;

  @Field(() => ReferralStatusEnum)
  status!: ReferralStatus;

  @Field(() => DateScalar, { nullable: true })
  respondBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  sentAt!: Date | null;
}

@ObjectType({ description: '引継ぎパックの同意' })
export class PackConsent {
  @Field(() => ID)
  consentId!: string;

  @Field(() => ConsentStatusEnum)
  status!: ConsentStatus;

  @Field(() => [ConsentPurposeEnum])
  purposes!: ConsentPurpose[];

  @Field(() => [DataCategoryEnum])
  categories!: DataCategory[];

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field({ description: '30日以内に期限切れになる' })
  expiringSoon!: boolean;
}

@ObjectType({ description: '引継ぎパックのフォローアップ予定' })
export class PackFollowUp {
  @Field(() => ID)
  followUpId!: string;

  @Field(() => FollowUpMilestoneEnum)
  milestone!: FollowUpMilestone;

  @Field(() => DateScalar)
  dueOn!: string;
}

@ObjectType({ description: '引継ぎパックの直近の記録 (要約のみ)' })
export class PackEntry {
  @Field()
  kind!: string;

  @Field(() => DateTimeScalar)
  occurredAt!: Date;

  @Field()
  summary!: string;
}

@ObjectType({ description: '同意の範囲で名前を示せる、関わっている他機関' })
export class PackOrganization {
  @Field(() => ID)
  organizationId!: string;

  @Field()
  name!: string;

  @Field(() => OrganizationKindEnum)
  kind!: OrganizationKind;
}

@ObjectType({ description: '引継ぎパック: システムが既に知っていること (読んだ時点の内容)' })
export class HandoverPackDetails {
  @Field(() => [PackReferral], { description: '進行中の紹介 (送付・開封・受理)' })
  openReferrals!: PackReferral[];

  @Field(() => [PackConsent], { description: '同意 (状態と有効期限)' })
  consents!: PackConsent[];

  @Field(() => [PackFollowUp], { description: '今後のフォローアップ' })
  upcomingFollowUps!: PackFollowUp[];

  @Field(() => [PackEntry], { description: '直近5件の記録' })
  recentEntries!: PackEntry[];

  @Field(() => [PackOrganization], { description: '関わっている他機関 (同意の範囲)' })
  otherOrganizations!: PackOrganization[];
}

@ObjectType()
export class HandoverConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [Handover])
  nodes!: Handover[];
}

@ObjectType({ description: '任期満了が近く、引継ぎのない担当ケースが残っている職員' })
export class TermEnding {
  @Field(() => DateScalar, { description: '任期満了日' })
  termEndsOn!: string;

  @Field(() => Int, { description: '担当している支援中のケース数' })
  openCaseCount!: number;

  @Field(() => Int, { description: 'そのうち進行中の引継ぎに含まれていないケース数' })
  uncoveredCaseCount!: number;

  userId!: string;
}

@ObjectType()
export class HandoverStatusCount {
  @Field(() => HandoverStatusEnum)
  status!: HandoverStatus;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: '人事異動の準備状況 (コーディネーター向け)' })
export class RotationView {
  @Field(() => Int)
  withinDays!: number;

  @Field(() => [TermEnding], { description: '任期満了が近く (または過ぎて)、引継ぎのないケースが残っている職員' })
  endingTerms!: TermEnding[];

  @Field(() => [HandoverStatusCount], {
    description: '状態ごとの引継ぎ件数 (未移行のもの、および直近の期間内に効力が発生したもの)',
  })
  statusCounts!: HandoverStatusCount[];

  @Field(() => Int, { description: '督促が必要な引継ぎの件数' })
  overdueCount!: number;
}

@InputType({ description: '引継ぎの開始' })
export class StartHandoverInput {
  @Field(() => ID, { description: '引継ぎ元 (異動・退職する職員)' })
  fromUserId!: string;

  @Field(() => ID, { description: '後任者' })
  toUserId!: string;

  @Field(() => HandoverReasonEnum)
  reason!: HandoverReason;

  @Field(() => DateScalar, { description: '効力発生日 (今日から1年以内)' })
  effectiveOn!: string;

  @Field(() => [ID], { nullable: true, description: '引継ぐケース (省略時は引継ぎ元が担当する支援中の全ケース)' })
  caseIds?: string[] | null;
}

@InputType({ description: '次の対応 (期限つき)' })
export class HandoverActionInput {
  @Field()
  text!: string;

  @Field(() => DateScalar, { nullable: true, description: '期限' })
  dueOn?: string | null;
}

@InputType({
  description: '引継ぎノート。省略した項目は前の版のまま、null を指定すると消去する。',
})
export class HandoverNoteInput {
  @Field(() => String, { nullable: true, description: '現在の状況' })
  situation?: string | null;

  @Field(() => [String], { nullable: true, description: '次の対応 (期限なし。期限つきは actions)' })
  nextActions?: string[] | null;

  @Field(() => [HandoverActionInput], { nullable: true, description: '次の対応 (期限つき)' })
  actions?: HandoverActionInput[] | null;

  @Field(() => String, { nullable: true, description: '注意点・配慮事項' })
  cautions?: string | null;

  @Field(() => String, { nullable: true, description: '他機関の主な連絡先 (担当者)' })
  keyContacts?: string | null;

  @Field(() => DateScalar, { nullable: true, description: '本人に担当交代を伝えた日' })
  clientInformedOn?: string | null;
}

@InputType({ description: '引継ぎの絞り込み' })
export class HandoverFilter {
  @Field(() => [HandoverStatusEnum], { nullable: true })
  status?: HandoverStatus[] | null;

  @Field(() => ID, { nullable: true })
  fromUserId?: string | null;

  @Field(() => ID, { nullable: true })
  toUserId?: string | null;

  @Field(() => Boolean, { nullable: true, description: '自分が後任者の引継ぎ (中止を除く)' })
  incoming?: boolean | null;

  @Field(() => DateScalar, { nullable: true, description: '効力発生日がこの日以降' })
  effectiveFrom?: string | null;

  @Field(() => DateScalar, { nullable: true, description: '効力発生日がこの日以前' })
  effectiveTo?: string | null;

  @Field(() => Boolean, { nullable: true, description: '督促が必要なもの' })
  overdue?: boolean | null;
}
