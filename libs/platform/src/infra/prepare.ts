import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import { migrateDatabase } from '../database/migrate.js';
import { persistentSecret } from './local-files.js';
import { resolvePostgres, type PostgresSource } from './resolve-postgres.js';
import { resolveRedis, type RedisSource } from './resolve-redis.js';
import { describeRedisTarget } from '../redis/redis-client.js';

export interface PreparedDatabase {
  /** `config` with the owner URL and the application role's password settled. */
  config: AppConfig;
  postgres: PostgresSource | 'DATABASE_APP_URL';
  /** Stops the embedded PostgreSQL when this process started it. */
  stop: () => Promise<void>;
}

export interface PreparedInfrastructure extends PreparedDatabase {
  redis: RedisSource | 'REDIS_CLUSTER_NODES';
  /** Stops what this process started (embedded PostgreSQL, redis-server). */
  stop: () => Promise<void>;
}

/**
 * Settles where PostgreSQL is (configured, local, or started here) and runs migrations. The PostgreSQL half of
 * `prepareInfrastructure`, on its own for commands that need the database but not Redis (the reference importer).
 */
export async function prepareDatabase(config: AppConfig, logger: Logger): Promise<PreparedDatabase> {
  const log = (msg: string) => logger.info(msg);
  let ownerUrl = config.database.ownerUrl;
  let appPassword = config.database.appPassword;
  let postgres: PreparedDatabase['postgres'] = 'DATABASE_APP_URL';
  let stop: () => Promise<void> = async () => {};
  if (ownerUrl || !config.database.appUrl) {
    const pg = await resolvePostgres({ databaseUrl: ownerUrl, dataDir: config.dataDir, log });
    if (pg.stop) stop = pg.stop;
    ownerUrl = pg.ownerUrl;
    appPassword ??= pg.appPassword;
    postgres = pg.source;
  } else {
    log('PostgreSQL: using DATABASE_APP_URL only; migrations are left to a process that has DATABASE_URL');
  }
  try {
    if (config.database.runMigrations && ownerUrl) {
      const result = await migrateDatabase({ ownerUrl, appPassword, operator: config.operator });
      log(`migrations: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'schema up to date'}`);
      if (result.operatorCreated) log(`platform operator ${config.operator!.email} created`);
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { config: { ...config, database: { ...config.database, ownerUrl, appPassword } }, postgres, stop };
}

/**
 * Settles where PostgreSQL and Redis are (configured, local, or started here), the JWT secret (generated and kept
 * under DATA_DIR outside production), and runs migrations before anything serves. Logs each choice.
 */
export async function prepareInfrastructure(config: AppConfig, logger: Logger): Promise<PreparedInfrastructure> {
  const log = (msg: string) => logger.info(msg);
  const database = await prepareDatabase(config, logger);
  const stops: (() => Promise<void>)[] = [database.stop];
  try {
    const redis = config.redis.clusterNodes
      ? { url: undefined, source: 'REDIS_CLUSTER_NODES' as const }
      : await resolveRedis({ redisUrl: config.redis.url, dataDir: config.dataDir, log });
    if ('stop' in redis && redis.stop) stops.push(redis.stop);
    if (!redis.url) log(`Redis: using REDIS_CLUSTER_NODES (${describeRedisTarget(config.redis)})`);

    let jwtSecret = config.jwt.secret;
    if (!jwtSecret) {
      jwtSecret = persistentSecret(config.dataDir, 'jwt-secret', 48);
      log(`JWT_SECRET not set; using a generated secret kept in ${config.dataDir}/jwt-secret (development only)`);
    }

    const stop = async () => {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    };
    return {
      config: {
        ...database.config,
        redis: { ...config.redis, url: redis.url },
        jwt: { ...config.jwt, secret: jwtSecret },
      },
      postgres: database.postgres,
      redis: redis.source,
      stop,
    };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw err;
  }
}
