import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditServer, type AuditResult } from 'graphql-http';
import { startTestApi, type TestApi } from '../harness/test-api.js';

/**
 * The GraphQL-over-HTTP audits of the graphql-http package (the spec's reference suite) against the running server,
 * in development (introspection on) and production mode. Passes and failures are printed.
 */
async function audit(api: TestApi, mode: string): Promise<{ results: AuditResult[]; bodies: Map<string, string> }> {
  const results = await auditServer({ url: `${api.url}/graphql` });
  const bodies = new Map<string, string>();
  const lines = await Promise.all(
    results.map(async (r) => {
      if (r.status === 'ok') return `  ok     ${r.id} ${r.name}`;
      bodies.set(r.id, await r.response.text());
      return `  ${r.status.padEnd(6)} ${r.id} ${r.name}: ${r.reason} ${JSON.stringify(bodies.get(r.id)).slice(0, 160)}`;
    }),
  );
  const count = (s: string) => results.filter((r) => r.status === s).length;
  console.log(
    `graphql-http ${mode}: ${results.length} audits, ${count('ok')} ok, ${count('warn')} warn (SHOULD), ${count('notice')} notice (MAY), ${count('error')} error (MUST)\n${lines.join('\n')}`,
  );
  return { results, bodies };
}

const mustFailures = (results: AuditResult[]) =>
  results.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.name}`);

describe('GraphQL over HTTP compliance (graphql-http audit)', () => {
  let dev: TestApi;
  let prod: TestApi;
  beforeAll(async () => {
    dev = await startTestApi();
    prod = await startTestApi({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await dev?.close();
    await prod?.close();
  });

  it('passes every MUST audit in development mode', async () => {
    expect(mustFailures((await audit(dev, 'development')).results)).toEqual([]);
  });

  it('passes every MUST audit in production mode but the two whose request is an introspection query', async () => {
    // BF61 sends `{ __type(name: "Run🏃") { name } }` and 28B9 `query Type($name: String!) { __type(name: $name) …`:
    // with introspection off (production) both are refused as they should be, so the audit counts them as failures.
    const { results, bodies } = await audit(prod, 'production');
    expect(mustFailures(results)).toEqual([
      'BF61 MUST accept utf-8 encoded request',
      '28B9 MUST allow map {variables} parameter when accepting application/json',
    ]);
    for (const r of results.filter((x) => x.status === 'error')) {
      expect(bodies.get(r.id)).toMatch(/introspection is not allowed/);
    }
  });
});
