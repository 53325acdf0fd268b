import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { DomainModule } from '@tasuki/domain';
import { PlatformModule, type AppConfig } from '@tasuki/platform';
import { JobRuntime } from './queues/job-runtime.js';
import { WORKER_LOGGER } from './worker.tokens.js';

/** The worker: no GraphQL. The outbox relay, the reminder sweep and the jobs' processors (queues/). */
@Module({})
export class WorkerModule {
  static register(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { logger } }),
        PlatformModule.forRoot(config, { applicationName: 'tasuki-worker' }),
        DomainModule,
      ],
      providers: [{ provide: WORKER_LOGGER, useValue: logger }, JobRuntime],
    };
  }
}
