import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { WebhookDeliveryStatus } from '@tasuki/domain';
import { PageInfo } from '../graphql/common.types.js';
import { WebhookDeliveryStatusEnum } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({
  description:
    '機関の Webhook 設定。通知と同じ出来事を、署名付きの POST で機関のシステムへ送る。シークレットは表示しない。',
})
export class WebhookSetting {
  @Field({ description: '送信先URL' })
  url!: string;

  @Field({ description: '有効なら送信する。無効にすると新しい送信は作られず、送信待ちのものは送信失敗になる。' })
  active!: boolean;

  @Field({ description: 'シークレットの末尾4文字 (どのシークレットを設定したかの確認用)' })
  secretHint!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'setWebhook がシークレットを生成したときの、そのシークレット。この応答でのみ返し、後から読むことはできない。',
  })
  createdSecret!: string | null;

  @Field(() => DateTimeScalar, { description: '最後に変更した日時' })
  updatedAt!: Date;
}

@ObjectType({ description: 'Webhook の送信 (出来事1件につき1件。送った内容は表示しない)' })
export class WebhookDelivery {
  @Field(() => ID, { description: '送信ID (X-Tasuki-Delivery ヘッダーと本文の id)' })
  id!: string;

  @Field({ description: '出来事の種類 (X-Tasuki-Event。REFERRAL_RECEIVED など通知の種類と同じ)' })
  kind!: string;

  @Field(() => WebhookDeliveryStatusEnum)
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: '送信を試みた回数' })
  attempts!: number;

  @Field(() => Int, { nullable: true, description: '最後の試行で受けた HTTP ステータスコード (応答がなければ null)' })
  lastStatusCode!: number | null;

  @Field(() => String, {
    nullable: true,
    description: '最後の失敗の理由 (HTTP 500、timeout、ECONNREFUSED、webhook disabled など)',
  })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { description: '出来事が起きた日時' })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: '最後に送信を試みた日時' })
  lastAttemptAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '送信できた日時' })
  deliveredAt!: Date | null;
}

@ObjectType({ description: 'Webhook の送信の一覧 (新しい順)' })
export class WebhookDeliveryConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [WebhookDelivery])
  nodes!: WebhookDelivery[];
}
