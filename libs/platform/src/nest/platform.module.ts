import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, deriveAppUrl, type AppConfig } from '../config/config.js';
import { createDataSource } from '../database/data-source.js';
import { StatementCounter } from '../database/statement-counter.js';
import { Database } from '../database/database.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { TokenService } from '../authn/tokens.js';

/**
 * The process-wide services both apps share: the validated configuration, the application role's pool, Redis and
 * the token service. `config` must already carry the resolved database and Redis URLs and a JWT secret.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, opts: { applicationName: string }): DynamicModule {
    const ownerUrl = config.database.ownerUrl;
    if (!ownerUrl && !config.database.appUrl) throw new Error('PlatformModule: no database URL resolved');
    if (!config.redis.url && !config.redis.clusterNodes?.length) {
      throw new Error('PlatformModule: no Redis URL or cluster resolved');
    }
    if (!config.jwt.secret) throw new Error('PlatformModule: no JWT secret resolved');
    const appUrl = config.database.appUrl ?? deriveAppUrl(ownerUrl!, config.database.appPassword);
    const jwtSecret = config.jwt.secret;
    return {
      module: PlatformModule,
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: Database,
          useFactory: async () => {
            const counter = new StatementCounter();
            const ds = createDataSource({
              url: appUrl,
              poolSize: config.database.poolSize,
              applicationName: opts.applicationName,
              logger: counter,
            });
            return new Database(await ds.initialize(), counter);
          },
        },
        { provide: RedisConnection, useFactory: () => new RedisConnection(config.redis, config.redis.keyPrefix) },
        {
          provide: TokenService,
          useFactory: () =>
            new TokenService({
              secret: jwtSecret,
              issuer: config.jwt.issuer,
              audience: config.jwt.audience,
              ttlSeconds: config.jwt.ttlSeconds,
              oidc: config.oidc,
              adminSessionTtlSeconds: config.adminSessionTtlSeconds,
            }),
        },
      ],
      exports: [CONFIG, Database, RedisConnection, TokenService],
    };
  }
}
