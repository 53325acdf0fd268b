import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { WebhooksService, type WebhookSettingView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { WebhookDeliveryConnection, WebhookSetting } from './webhooks.types.js';

@Resolver(() => WebhookSetting)
export class WebhooksResolver {
  constructor(private readonly webhooks: WebhooksService) {}

  @Can('read', 'Webhook')
  @Query(() => WebhookSetting, {
    nullable: true,
    description: '代理中の機関の Webhook 設定 (機関管理者のみ。未設定なら null)',
  })
  webhook(@Ctx() ctx: RequestContext): Promise<WebhookSettingView | null> {
    return this.webhooks.get(ctx);
  }

  @Can('read', 'Webhook')
  @Query(() => WebhookDeliveryConnection, { description: '代理中の機関の Webhook の送信 (新しい順。機関管理者のみ)' })
  webhookDeliveries(
    @Ctx() ctx: RequestContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<WebhookDeliveryConnection> {
    return this.webhooks.deliveries(ctx, first, after);
  }

  @Can('update', 'Webhook')
  @Mutation(() => WebhookSetting, {
    description:
      'Webhook の送信先とシークレットを設定し、有効にする (機関管理者のみ)。シークレットを省略すると生成し、この応答の createdSecret で一度だけ返す。',
  })
  setWebhook(
    @Ctx() ctx: RequestContext,
    @Args('url', { description: '送信先URL (本番環境では https のみ。認証情報を含めない)' }) url: string,
    @Args('secret', {
      type: () => String,
      nullable: true,
      description: '署名のシークレット (半角32〜200文字)。省略すると生成する。',
    })
    secret?: string | null,
  ): Promise<WebhookSettingView> {
    return this.webhooks.set(ctx, url, secret);
  }

  @Can('update', 'Webhook')
  @Mutation(() => WebhookSetting, {
    description: 'Webhook を無効にする (機関管理者のみ)。設定は残り、setWebhook で再び有効になる。',
  })
  disableWebhook(@Ctx() ctx: RequestContext): Promise<WebhookSettingView> {
    return this.webhooks.disable(ctx);
  }
}
