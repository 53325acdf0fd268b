import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { Database, describeRedisTarget, runService, type AppConfig } from '@tasuki/platform';
import { startHealthServer, type HealthServer, type Probe } from './health/health-server.js';
import { JobRuntime } from './queues/job-runtime.js';
import { WorkerModule } from './worker.module.js';

runService('worker', async (config, logger) => {
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config, logger), { bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  const db = app.get(Database);
  const runtime = app.get(JobRuntime);
  await db.ping();
  await runtime.ping(5000).catch((err: Error) => {
    throw new Error(`Redis (${describeRedisTarget(config.redis)}): ${err.message}`, { cause: err });
  });
  await runtime.assertRedisKeepsJobs();
  await runtime.start();
  const health = await serveHealth(config, logger, { postgres: () => db.ping(), redis: () => runtime.ping(1000) });
  logger.info('Tasuki worker ready: relaying the outbox and running jobs');
  return {
    close: async () => {
      await health?.close(); // not ready any more while the running jobs finish
      await app.close();
    },
  };
});

/** The health endpoints on WORKER_HEALTH_PORT; none when it is 0, or when the default port is taken. */
async function serveHealth(config: AppConfig, logger: Logger, ready: Record<string, Probe>) {
  const { port, explicit } = config.worker.health;
  if (port === 0) return undefined;
  let server: HealthServer;
  try {
    server = await startHealthServer(config.host, port, ready);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit || code !== 'EADDRINUSE') {
      throw new Error(`WORKER_HEALTH_PORT ${port} on ${config.host}: ${(err as Error).message}`, { cause: err });
    }
    logger.warn(
      `the default health port ${config.host}:${port} is taken (another worker on this host?); running without ` +
        'health endpoints. Set WORKER_HEALTH_PORT to a free port, or 0 for none.',
    );
    return undefined;
  }
  logger.info({ port: server.port }, `worker health: http://${config.host}:${server.port}/health/{live,ready}`);
  return server;
}
