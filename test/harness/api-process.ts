import { resolve } from 'node:path';
import { freeLoopbackPort, sleep } from '@tasuki/platform';
import { ServiceProcess } from './service-process.js';
import type { As, GqlResult } from './test-api.js';

export const API_MAIN = resolve(process.cwd(), 'dist/apps/api/src/main.js');

/** An API as production runs it (`node dist/apps/api/src/main.js`), on a free loopback port. */
export interface ApiProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  process: ServiceProcess;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, as?: As): Promise<GqlResult<T>>;
}

/**
 * Starts an API process with `env` (its database, Redis, key prefix and JWT secret) on a free loopback port (or
 * env.PORT) and resolves once it answers GET /health/live (at any LOG_LEVEL: a benchmark runs it at `warn`).
 */
export async function startApiProcess(env: Record<string, string>, timeoutMs = 40_000): Promise<ApiProcess> {
  const port = env.PORT ?? String(await freeLoopbackPort());
  const child = new ServiceProcess(API_MAIN, {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    // Tests and benches send from one address far above a client's rate; the limits have their own suite.
    RATE_LIMIT_ENABLED: 'false',
    ...env,
    PORT: port,
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const live = await fetch(`${url}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) break;
    if (!child.running || Date.now() > until) {
      await child.kill();
      throw new Error(`the API did not answer on ${url} within ${timeoutMs} ms.\n${child.describe()}`);
    }
    await sleep(100);
  }
  return {
    url,
    process: child,
    async gql(query, variables, as = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...as.headers };
      if (as.token) headers.authorization = `Bearer ${as.token}`;
      if (as.org) headers['x-organization-id'] = as.org;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GqlResult;
      return { status: res.status, data: body.data as never, errors: body.errors };
    },
  };
}
