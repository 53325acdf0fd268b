import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { DomainModule } from '@tasuki/domain';
import { PlatformModule, type AppConfig } from '@tasuki/platform';

/** The worker: no HTTP, no GraphQL. BullMQ processors (reminders/, reporting/, outbox/) register here. */
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
    };
  }
}
