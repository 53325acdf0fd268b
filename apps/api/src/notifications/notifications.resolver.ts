import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { NotificationsService, type NotificationView } from '@tasuki/domain';
import { Can, type RequestContext } from '@tasuki/platform';
import { Ctx } from '../auth/request.js';
import { Notification, NotificationConnection } from './notifications.types.js';

@Resolver(() => Notification)
export class NotificationsResolver {
  constructor(private readonly notificationService: NotificationsService) {}

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
}
