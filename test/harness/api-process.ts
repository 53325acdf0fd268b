import { resolve } from 'node:path';
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
 * Starts an API process with `env` (its database, Redis, key prefix and JWT secret; PORT 0 picks a free port) and
 * resolves once it reports ready, with the URL it logged.
 */
export async function startApiProcess(env: Record<string, string>, timeoutMs = 40_000): Promise<ApiProcess> {
  const child = new ServiceProcess(API_MAIN, { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', ...env });
  let url: string;
  try {
    const ready = await child.waitForLog((l) => l.msg?.startsWith('Tasuki API ready'), timeoutMs);
    url = new URL(String(ready.graphql)).origin;
  } catch (err) {
    await child.kill();
    throw err;
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
