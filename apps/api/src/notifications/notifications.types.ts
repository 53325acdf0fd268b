import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../graphql/common.types.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ description: 'アプリ内通知 (本人宛て。期限の督促、紹介の到着など)' })
export class Notification {
  @Field(() => ID)
  id!: string;

  @Field({ description: '種類 (REFERRAL_UNANSWERED, FOLLOW_UP_DUE など)' })
  kind!: string;

  @Field(() => String, { nullable: true, description: '対象の種類 (Referral, Case, Handover など)' })
  subjectType!: string | null;

  @Field(() => ID, { nullable: true, description: '対象のID' })
  subjectId!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: '既読にした日時' })
  readAt!: Date | null;

  @Field({ description: '通知の文面' })
  message!: string;
}

@ObjectType()
export class NotificationConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [Notification])
  nodes!: Notification[];
}
