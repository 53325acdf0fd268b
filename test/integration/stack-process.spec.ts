import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freeLoopbackPort } from '@tasuki/platform';
import { redisUrl } from '../harness/postgres.js';
import { ServiceProcess } from '../harness/service-process.js';
import { createTestDatabase, type TestDatabase } from '../harness/test-database.js';

/**
 * The README's run command (`npm start` = build, then dist/apps/stack/src/main.js): API and worker start together on
 * the defaults, a development operator is created, and `me` answers for it over HTTP; SIGTERM stops everything.
 */
describe('npm start (the stack launcher)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let stack: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'tasuki-stack-'));
  });
  afterAll(async () => {
    await stack?.kill();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves GraphQL with API and worker, answers `me` for the development operator, and stops on SIGTERM', async () => {
    const port = await freeLoopbackPort();
    stack = new ServiceProcess(resolve('dist/apps/stack/src/main.js'), {
      NODE_ENV: 'development',
      DATABASE_URL: db.ownerUrl,
      REDIS_URL: redisUrl(),
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    await stack.waitForLog((l) => l.msg?.startsWith('Tasuki API ready'), 40_000);
    await stack.waitForLog((l) => l.msg?.includes('worker ready'), 20_000);
    expect(stack.logs.some((l) => l.msg?.startsWith('PostgreSQL: using DATABASE_URL'))).toBe(true);

    const password = readFileSync(join(dataDir, 'operator-password'), 'utf8').trim();
    const call = async (query: string, variables: object, token?: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data: Record<string, any>; errors?: unknown[] };
    };
    const signIn = await call(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }`, {
      e: 'operator@tasuki.localhost',
      p: password,
    });
    expect(signIn.errors).toBeUndefined();
    const me = await call(`{ me { user { email } memberships { id } } }`, {}, signIn.data.signIn.token);
    expect(me).toEqual({ data: { me: { user: { email: 'operator@tasuki.localhost' }, memberships: [] } } });

    stack.child.kill('SIGTERM');
    expect(await stack.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    expect(stack.logs.filter((l) => l.msg === 'Tasuki api stopped' || l.msg === 'Tasuki worker stopped')).toHaveLength(
      2,
    );
  }, 90_000);
});
