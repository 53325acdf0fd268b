import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { Database, RedisConnection, runService } from '@tasuki/platform';
import { JobRuntime } from './queues/job-runtime.js';
import { WorkerModule } from './worker.module.js';

runService('worker', async (config, logger) => {
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config, logger), { bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  await app.get(Database).ping();
  await app.get(RedisConnection).ping(5000);
  await app.get(JobRuntime).start();
  logger.info('Tasuki worker ready: relaying the outbox and running jobs');
  return { close: () => app.close() };
});
