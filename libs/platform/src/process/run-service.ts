import type { Logger } from 'pino';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { prepareInfrastructure, type PreparedInfrastructure } from '../infra/prepare.js';
import { createLogger } from '../logging/logger.js';

/**
 * The validated configuration of a process started from the command line; on a bad environment it writes the
 * problems after `label` to stderr and exits with 78 (EX_CONFIG), before anything is started.
 */
export function loadConfigOrExit(label: string): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${label}: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

export interface RunningService {
  /** Stops taking new work, lets running work finish, closes pools. */
  close: () => Promise<void>;
}

/**
 * The life of one service process (API or worker): validated configuration (exit 78 naming the bad variable),
 * infrastructure and migrations, start, and a graceful stop on SIGTERM/SIGINT — also when the signal arrives while
 * the service is still booting, so nothing this process started (redis-server, embedded PostgreSQL) is left behind.
 */
export function runService(name: string, start: (config: AppConfig, logger: Logger) => Promise<RunningService>): void {
  const config = loadConfigOrExit(`Tasuki ${name}`);
  const logger = createLogger(config, name);
  let infra: PreparedInfrastructure | undefined;
  let service: RunningService | undefined;
  let booted = false;
  let stopping = false;

  const stopAndExit = () => {
    (async () => {
      await service?.close();
      await infra?.stop();
    })()
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
  // Installed before anything starts: without a listener, SIGTERM's default action kills the process on the spot.
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `Tasuki ${name} shutting down`);
    if (booted) stopAndExit(); // otherwise boot() stops once its current step is done
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  const boot = async () => {
    infra = await prepareInfrastructure(config, logger);
    if (!stopping) service = await start(infra.config, logger);
    booted = true;
    if (stopping) stopAndExit();
  };
  boot().catch(async (err: unknown) => {
    logger.fatal({ err }, `Tasuki ${name} failed to start`);
    process.stderr.write(`Tasuki ${name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    await infra?.stop().catch(() => undefined);
    process.exit(1);
  });
}
