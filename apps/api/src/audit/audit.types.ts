import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../graphql/common.types.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({
  description: '監査イベント。機関ごとの連番とハッシュ連鎖を持ち、追記のみで変更・削除はできない。',
})
export class AuditEvent {
  @Field(() => Int, { description: '機関内の連番 (1から始まり欠番なし)' })
  seq!: number;

  @Field(() => DateTimeScalar, { description: '発生日時' })
  occurredAt!: Date;

  @Field({ description: '操作 (例: membership.added)' })
  action!: string;

  @Field({ description: '対象の種類 (例: Membership)' })
  subjectType!: string;

  @Field(() => String, { nullable: true, description: '対象のID' })
  subjectId!: string | null;

  @Field(() => [String], { description: '参照・変更された項目' })
  fields!: string[];

  @Field(() => String, { nullable: true, description: '利用目的' })
  purpose!: string | null;

  @Field(() => String, { nullable: true, description: 'リクエストID (X-Request-Id)。ログとの突き合わせに使う。' })
  requestId!: string | null;

  @Field({ description: 'このイベントのハッシュ (SHA-256。直前のイベントのハッシュを含めて計算)' })
  hash!: string;
}

@ObjectType({ description: '監査イベントの一覧 (新しい順)' })
export class AuditEventConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [AuditEvent])
  nodes!: AuditEvent[];
}

@InputType({ description: '監査イベントの絞り込み。指定した条件はすべて満たすもの (AND) に絞る。' })
export class AuditEventFilter {
  @Field(() => String, { nullable: true, description: '操作 (完全一致)' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: '対象の種類 (完全一致)' })
  subjectType?: string | null;

  @Field(() => String, { nullable: true, description: '対象のID (完全一致)' })
  subjectId?: string | null;

  @Field(() => ID, { nullable: true, description: '操作したユーザーのID' })
  actorUserId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'この日時以降に発生したもの' })
  occurredFrom?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'この日時より前に発生したもの' })
  occurredTo?: Date | null;
}

@ObjectType({ description: '監査ログのハッシュ連鎖の検証結果' })
export class AuditChainStatus {
  @Field({ description: '改ざん・削除・挿入が見つからなければ true' })
  ok!: boolean;

  @Field(() => Int, { description: '監査イベントの件数' })
  length!: number;

  @Field(() => Int, { nullable: true, description: '連鎖が最初に壊れている連番 (正常なら null)' })
  brokenAt!: number | null;
}
