import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import { migrateDatabase } from '../database/migrate.js';
import { persistentSecret } from './local-files.js';
import { resolvePostgres, type PostgresSource } from './resolve-postgres.js';
import { resolveRedis, type RedisSource } from './resolve-redis.js';

export interface PreparedInfrastructure {
  config: AppConfig;
  postgres: PostgresSource | 'DATABASE_APP_URL';
  redis: RedisSource;
  /** Stops what this process started (embedded PostgreSQL, redis-server). */
  stop: () => Promise<void>;
}

/**
 * Settles where PostgreSQL and Redis are (configured, local, or started here), the JWT secret (generated and kept
 * under DATA_DIR outside production), and runs migrations before anything serves. Logs each choice.
 */
export async function prepareInfrastructure(config: AppConfig, logger: Logger): Promise<PreparedInfrastructure> {
  const log = (msg: string) => logger.info(msg);
  const stops: (() => Promise<void>)[] = [];
  try {
    let ownerUrl = config.database.ownerUrl;
    let appPassword = config.database.appPassword;
    let postgres: PreparedInfrastructure['postgres'] = 'DATABASE_APP_URL';
    if (ownerUrl || !config.database.appUrl) {
      const pg = await resolvePostgres({ databaseUrl: ownerUrl, dataDir: config.dataDir, log });
      if (pg.stop) stops.push(pg.stop);
      ownerUrl = pg.ownerUrl;
      appPassword ??= pg.appPassword;
      postgres = pg.source;
    } else {
      log('PostgreSQL: using DATABASE_APP_URL only; migrations are left to a process that has DATABASE_URL');
    }
    const redis = await resolveRedis({ redisUrl: config.redis.url, dataDir: config.dataDir, log });
    if (redis.stop) stops.push(redis.stop);

    let jwtSecret = config.jwt.secret;
    if (!jwtSecret) {
      jwtSecret = persistentSecret(config.dataDir, 'jwt-secret', 48);
      log(`JWT_SECRET not set; using a generated secret kept in ${config.dataDir}/jwt-secret (development only)`);
    }

    if (config.database.runMigrations && ownerUrl) {
      const result = await migrateDatabase({ ownerUrl, appPassword, operator: config.operator });
      log(`migrations: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'schema up to date'}`);
      if (result.operatorCreated) log(`platform operator ${config.operator!.email} created`);
    }

    const stop = async () => {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    };
    return {
      config: {
        ...config,
        database: { ...config.database, ownerUrl, appPassword },
        redis: { ...config.redis, url: redis.url },
        jwt: { ...config.jwt, secret: jwtSecret },
      },
      postgres,
      redis: redis.source,
      stop,
    };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw err;
  }
}
