import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, loadConfig, TokenService, type AppConfig } from '@tasuki/platform';
import { createApiApp } from '../../apps/api/src/create-app.js';
import { redisUrl } from './postgres.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors?: { message: string; extensions?: { code?: string; field?: string }; path?: (string | number)[] }[];
}

export interface As {
  token?: string;
  org?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  db: TestDatabase;
  config: AppConfig;
  app: NestExpressApplication;
  tokens: TokenService;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, as?: As): Promise<GqlResult<T>>;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * A real API on a loopback port, over a database of its own (cloned from the migrated template, unless `database`
 * is given: a benchmark's seeded one) and a Redis key prefix of its own. Requests go through HTTP exactly as a
 * client's would.
 */
export async function startTestApi(env: Record<string, string> = {}, database?: TestDatabase): Promise<TestApi> {
  const db = database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.ownerUrl,
    DATABASE_APP_URL: db.appUrl,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: `{tasuki-test-${db.name}}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    MIGRATIONS_RUN: 'false',
    // Suites send hundreds of requests and failed sign-ins from one address: rate-limit.e2e-spec turns limits on.
    RATE_LIMIT_ENABLED: 'false',
    ...env,
  });
  const app = await createApiApp(config, createLogger(config, 'api-test'));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const tokens = app.get(TokenService);

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  return {
    url,
    db,
    config,
    app,
    tokens,
    post,
    async gql(query, variables, as = {}) {
      const headers: Record<string, string> = { ...as.headers };
      if (as.token) headers.authorization = `Bearer ${as.token}`;
      if (as.org) headers['x-organization-id'] = as.org;
      const { status, body } = await post({ query, variables }, headers);
      const b = body as GqlResult;
      return { status, data: b.data as never, errors: b.errors };
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/** The `code` of each error, for compact assertions. */
export const codes = (r: GqlResult<unknown>) => (r.errors ?? []).map((e) => e.extensions?.code);
