import { All, Controller, Delete, HttpCode, Inject, Logger, Next, Post, Req, Res } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AuthService } from '@tasuki/domain';
import { Can, CONFIG, Public, type AppConfig, type RequestContext } from '@tasuki/platform';
import { AcceptsAdminSession, adminSessionCookie } from '../auth/admin-session.js';
import { Ctx } from '../auth/request.js';
import { QueueDashboard } from './queue-dashboard.js';

/**
 * The platform operator's pages: the queue dashboard at /admin/queues, reached with the operator's bearer token or
 * with the session cookie that POST /admin/session gives in exchange for it. Everyone else: 401 or 403, no queue data.
 */
@Controller('admin')
export class AdminController {
  private readonly logger = new Logger(AdminController.name);

  constructor(
    private readonly auth: AuthService,
    private readonly dashboard: QueueDashboard,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** Bearer only (never the cookie itself, which could otherwise renew itself forever). */
  @Post('session')
  @Can('read', 'JobQueue')
  @HttpCode(204)
  async openSession(@Ctx() ctx: RequestContext, @Res({ passthrough: true }) res: Response): Promise<void> {
    const { token, expiresAt } = await this.auth.openAdminSession(ctx);
    // Not in the audit log, which is per organization (the operator has none): the process log keeps who and when.
    this.logger.log({ userId: ctx.user.id, expiresAt }, 'queue dashboard session opened');
    const secure = this.config.env === 'production';
    res.setHeader('set-cookie', adminSessionCookie(token, this.config.adminSessionTtlSeconds, secure));
  }

  /** Signs the browser out of the dashboard: the cookie is replaced by an expired one. */
  @Delete('session')
  @Public()
  @HttpCode(204)
  closeSession(@Res({ passthrough: true }) res: Response): void {
    res.setHeader('set-cookie', adminSessionCookie('', 0, this.config.env === 'production'));
  }

  @All(['queues', 'queues/*path'])
  @Can('read', 'JobQueue')
  @AcceptsAdminSession()
  queues(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Next() next: NextFunction,
  ): Promise<void> {
    return this.dashboard.handle(ctx, req, res, next);
  }
}
