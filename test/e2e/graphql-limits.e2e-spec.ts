import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories } from '../harness/factories.js';

describe('GraphQL abuse is refused', () => {
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    api = await startTestApi({ GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '5', HTTP_BODY_LIMIT: '20kb' });
    const f = factories(api.db.owner);
    const org = await f.organization();
    token = (await api.tokens.issue((await f.member(org.id, ['SUPPORTER'])).id)).token;
  });
  afterAll(() => api.close());

  it('refuses a query deeper than the limit before running it', async () => {
    expect((await api.gql(`{ me { user { id } } }`, {}, { token })).errors).toBeUndefined();
    const r = await api.gql(`{ me { memberships { organization { id } } } }`, {}, { token });
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('refuses more aliases than the limit', async () => {
    const many = `{ ${Array.from({ length: 8 }, (_, i) => `a${i}: me { user { id } }`).join(' ')} }`;
    const r = await api.gql(many, {}, { token });
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('refuses batched requests (an array of operations)', async () => {
    const r = await api.post([{ query: '{ me { user { id } } }' }, { query: '{ me { user { id } } }' }], {
      authorization: `Bearer ${token}`,
    });
    expect(r.status).toBe(400);
  });

  it('refuses an oversized body', async () => {
    const r = await api.post(
      { query: `{ me { user { id } } }`, variables: { pad: 'x'.repeat(64 * 1024) } },
      { authorization: `Bearer ${token}` },
    );
    expect(r.status).toBe(413);
  });

  it('refuses a simple cross-site POST (CSRF prevention)', async () => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ __typename }"}',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('answers a malformed query with a parse error code, never a 500', async () => {
    const r = await api.post({ query: '{ me { ' }, { authorization: `Bearer ${token}` });
    expect(r.status).toBe(400);
    expect(codes({ status: r.status, data: null, errors: (r.body as { errors: never }).errors })).toEqual([
      'GRAPHQL_PARSE_FAILED',
    ]);
  });

  it('serves introspection in development', async () => {
    const r = await api.gql<{ __schema: { queryType: { name: string } } }>(
      `{ __schema { queryType { name } } }`,
      {},
      { token },
    );
    expect(r.data!.__schema.queryType.name).toBe('Query');
  });
});

describe('production mode', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ NODE_ENV: 'production' });
  });
  afterAll(() => api.close());

  it('turns introspection off and does not suggest field names', async () => {
    const r = await api.gql(`{ __schema { queryType { name } } }`);
    expect(r.errors?.length).toBeGreaterThan(0);
    const typo = await api.gql(`{ organisations { totalCount } }`);
    expect(JSON.stringify(typo.errors)).not.toMatch(/Did you mean/);
  });

  it('does not serve the sandbox page', async () => {
    const res = await fetch(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(await res.text()).not.toMatch(/<html/i);
  });
});

describe('token and cost limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ GRAPHQL_MAX_TOKENS: '60', GRAPHQL_MAX_COST: '20' });
  });
  afterAll(() => api.close());

  it('refuses a document with more tokens than the limit as a parse failure (400)', async () => {
    const r = await api.post({ query: `{ ${Array.from({ length: 100 }, () => '__typename').join(' ')} }` });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/GRAPHQL_PARSE_FAILED/);
  });

  it('refuses a query whose estimated cost is above the limit, before running it', async () => {
    const costly = `{ a: organizations { nodes { id name kind services } } b: organizations { nodes { id name kind } } }`;
    const r = await api.post({ query: costly });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/cost/i);
  });
});
