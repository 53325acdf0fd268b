import type { Logger } from 'pino';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { prepareInfrastructure } from '../infra/prepare.js';
import { createLogger } from '../logging/logger.js';

export interface RunningService {
  /** Stops taking new work, lets running work finish, closes pools. */
  close: () => Promise<void>;
}

/**
 * The life of one service process (API or worker): validated configuration (exit 78 naming the bad variable),
 * infrastructure and migrations, start, and a graceful stop on SIGTERM/SIGINT.
 */
export function runService(name: string, start: (config: AppConfig, logger: Logger) => Promise<RunningService>): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Tasuki ${name}: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config, name);
  const boot = async () => {
    const infra = await prepareInfrastructure(config, logger);
    const service = await start(infra.config, logger);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `Tasuki ${name} shutting down`);
      service
        .close()
        .then(() => infra.stop())
        .then(() => {
          logger.info(`Tasuki ${name} stopped`);
          logger.flush?.();
          process.exit(0);
        })
        .catch((err: unknown) => {
          logger.error({ err }, `Tasuki ${name} shutdown failed`);
          process.exit(1);
        });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  };
  boot().catch((err: unknown) => {
    logger.fatal({ err }, `Tasuki ${name} failed to start`);
    process.stderr.write(`Tasuki ${name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
