import { Args, Context, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { AuthService, NotificationsService, type NotificationView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { authenticateRequest, Ctx, type TasukiRequest } from '../auth/request.js';
import { LiveNotifications, type NotificationStream } from './live-notifications.js';
import { Notification, NotificationConnection } from './notifications.types.js';

@Resolver(() => Notification)
export class NotificationsResolver {
  constructor(
    private readonly notificationService: NotificationsService,
    private readonly live: LiveNotifications,
    private readonly auth: AuthService,
  ) {}

  @Can('read', 'Notification')
  @Query(() => NotificationConnection, { description: '自分宛ての通知 (新しい順)' })
  notifications(
    @Ctx() ctx: RequestContext,
    @Args('unreadOnly', { type: () => Boolean, nullable: true, description: '未読のみ' }) unreadOnly?: boolean,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.notificationService.list(ctx, unreadOnly, first, after);
  }

  @Can('update', 'Notification')
  @Mutation(() => Notification, { description: '通知を既読にする' })
  markNotificationRead(
    @Ctx() ctx: RequestContext,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<NotificationView> {
    return this.notificationService.markRead(ctx, id);
  }

  /**
   * Over graphql-ws only. Before each push the subscriber is authenticated again from the same parameters (a fresh
   * request: the token may have expired, the membership ended), and the notification is read as they would read it.
   */
  @Can('read', 'Notification')
  @Subscription(() => Notification, {
    description:
      '自分宛ての新しい通知 (代理中の機関のもの)。WebSocket (graphql-ws) で購読する。接続が切れている間の通知は届かないため、再接続したら notifications を取得し直すこと',
    resolve: (n: NotificationView) => n,
  })
  notificationAdded(@Ctx() ctx: RequestContext, @Context('req') req: TasukiRequest): NotificationStream {
    return this.live.open(ctx, () => authenticateRequest(this.auth, { headers: req.headers, id: req.id }));
  }
}
