import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, Response } from 'express';
import {
  assertCan,
  closeRedis,
  CONFIG,
  createQueue,
  createRedisClient,
  pingRedis,
  QUEUE_NAMES,
  type AppConfig,
  type RedisClient,
  type RequestContext,
} from '@tasuki/platform';
import type { Queue } from 'bullmq';

/** Where the dashboard is served in the API. */
export const DASHBOARD_PATH = '/admin/queues';

/**
 * The dashboard's changing calls that are allowed (`update` on JobQueue): retry failed jobs (a job that failed all its
 * attempts is kept, and its id keeps the sweep from adding it again, so a retry here is how it runs once more),
 * promote delayed ones, pause and resume a queue. Every job is idempotent, so these cannot double an effect. The
 * others — add a job, edit its data, clean, empty or obliterate a queue, edit schedulers, limits — are refused: they
 * could inject work the worker trusts or lose outbox jobs whose rows are already marked relayed.
 */
const ALLOWED_CHANGES: readonly RegExp[] = [
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|promote)$/,
  /^\/api\/queues\/[^/]+\/retry\/failed$/,
  /^\/api\/queues\/[^/]+\/(pause|resume|promote)$/,
  /^\/api\/queues\/(pause|resume)$/,
];

interface Board {
  router: (req: Request, res: Response, next: NextFunction) => void;
  connection: RedisClient;
  queues: Queue[];
}

/**
 * The @bull-board dashboard over the worker's queues, for the platform operator (the controller's policy and
 * AcceptsAdminSession decide who comes in). Built on its first use, so an API nobody opens it on keeps no extra Redis
 * connection. Its own connection gives up on a command after one reconnection attempt, and each data call first
 * checks that Redis answers, so a dashboard over a Redis that is down says so at once (503) instead of hanging.
 */
@Injectable()
export class QueueDashboard implements OnApplicationShutdown {
  private board: Board | undefined;

  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  async handle(ctx: RequestContext, req: Request, res: Response, next: NextFunction): Promise<void> {
    const path = req.url.slice(DASHBOARD_PATH.length).split('?')[0] || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      assertCan(ctx, 'update', 'JobQueue');
      if (!ALLOWED_CHANGES.some((r) => r.test(path))) {
        res.status(405).json({ code: 'METHOD_NOT_ALLOWED', message: 'この操作はダッシュボードでは行えません。' });
        return;
      }
    }
    const board = (this.board ??= this.build());
    if (path.startsWith('/api/')) {
      try {
        await pingRedis(board.connection, 2000);
      } catch (err) {
        const detail = (err as Error).message;
        res
          .status(503)
          .json({ code: 'REDIS_UNAVAILABLE', message: 'Redis が応答しないため、キューを表示できません。', detail });
        return;
      }
    }
    // The board is an Express app of its own that expects paths below its mount point.
    req.url = req.url.slice(DASHBOARD_PATH.length) || '/';
    if (!req.url.startsWith('/')) req.url = `/${req.url}`;
    board.router(req, res, next);
  }

  private build(): Board {
    const connection = createRedisClient(this.config.redis, {
      maxRetriesPerRequest: 1,
      enableReadyCheck: true,
      disconnectTimeout: 200,
    });
    connection.on('error', () => undefined); // reconnects on its own; the dashboard answers 503 meanwhile
    const queues = Object.values(QUEUE_NAMES).map((name) => createQueue(name, connection, this.config.redis.keyPrefix));
    const server = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: queues.map((q) => new BullMQAdapter(q)),
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'Tasuki queues' } },
    });
    return { router: server.getRouter() as Board['router'], connection, queues };
  }

  async onApplicationShutdown(): Promise<void> {
    const board = this.board;
    this.board = undefined;
    if (!board) return;
    await Promise.all(board.queues.map((q) => q.close().catch(() => undefined)));
    await closeRedis(board.connection);
  }
}
