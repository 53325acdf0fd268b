import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import type { AppConfig } from '@tasuki/platform';
import { AppModule } from './app.module.js';
import { RateLimits } from './auth/rate-limit.js';
import { GRAPHQL_PATH } from './graphql/graphql.options.js';

/** Builds the API application (not yet listening). Shared by main.ts and the test harness. */
export async function createApiApp(config: AppConfig, logger: Logger): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, logger), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.use(GRAPHQL_PATH, app.get(RateLimits).perIp);
  app.disable('x-powered-by');
  return app;
}
