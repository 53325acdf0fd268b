import { DataSource, type EntitySchema, type Logger, type MixedList } from 'typeorm';
import { migrations } from '../../../../migrations/index.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

/** A DataSource for the given role. `synchronize` is never on: the schema comes from migrations only. */
export function createDataSource(opts: {
  url: string;
  poolSize?: number;
  entities?: EntityList;
  applicationName?: string;
  logger?: Logger;
}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: opts.entities ?? [],
    migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    poolSize: opts.poolSize ?? 10,
    ...(opts.logger ? { logger: opts.logger } : {}),
    applicationName: opts.applicationName ?? 'tasuki',
    extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
  });
}
