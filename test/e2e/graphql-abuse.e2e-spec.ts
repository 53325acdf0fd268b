import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { factories } from '../harness/factories.js';
import { TYPED_ERROR_CODES } from '../harness/input-fuzz.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

/**
 * GraphQL abuse beyond graphql-limits.e2e-spec.ts: each limit is refused with a typed code before anything runs
 * (a mutation in the refused document writes nothing), and the shapes the limits could miss: fragment cycles and
 * fragment-hidden depth, many operations in one document, directive floods, deeply nested variables, GET and
 * persisted queries, introspection through __type and aliases in production.
 */
const REGISTER = (alias: string) =>
  `${alias}: registerClient(input: { familyName: "山田", givenName: "花子", birthDate: "1990-01-01", prefectureCode: "13" }) { id }`;

type Body = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

describe('GraphQL abuse, refused before execution with a typed error', () => {
  let api: TestApi;
  let token: string;
  let org: string;

  beforeAll(async () => {
    api = await startTestApi({ GRAPHQL_MAX_DEPTH: '4', GRAPHQL_MAX_ALIASES: '5', GRAPHQL_MAX_COST: '200' });
    const f = factories(api.db.owner);
    org = (await f.organization()).id;
    token = (await api.tokens.issue((await f.member(org, ['SUPPORTER'])).id)).token;
  });
  afterAll(() => api?.close());

  const clients = async () =>
    (await api.db.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM clients')).rows[0]!.n;

  /** Sends a document; expects it refused whole, with typed codes, an HTTP 4xx, and no client written. */
  async function refused(query: string, variables?: Record<string, unknown>): Promise<Body> {
    const before = await clients();
    const r = await api.post({ query, variables }, { authorization: `Bearer ${token}`, 'x-organization-id': org });
    const body = r.body as Body;
    expect({ status: r.status >= 400 && r.status < 500, data: body.data ?? null }).toEqual({
      status: true,
      data: null,
    });
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const e of body.errors!) expect(TYPED_ERROR_CODES).toContain(e.extensions?.code);
    expect(await clients()).toBe(before);
    return body;
  }

  it('a mutation inside a document over the alias, depth or cost limit writes nothing', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => REGISTER(`r${i}`)).join(' ');
    expect(JSON.stringify(await refused(`mutation { ${aliases} }`))).toMatch(/alias/i);
    const deep = `mutation { ${REGISTER('r')} me: registerClient(input: { familyName: "a", givenName: "b", birthDate: "1990-01-01", prefectureCode: "13" }) { client { case { client { case { id } } } } } }`;
    expect(JSON.stringify(await refused(deep))).toMatch(/depth/i);
    const fields = `id closeReason closedAt lastActivityAt nextFollowUpOn openReferralCount openedAt phase status
      assignees { id displayName email } organization { id name kind prefectureCode }
      client { id familyName givenName birthDate prefectureCode } timeline { totalCount nodes { id kind } }`;
    const costly = `mutation { ${Array.from({ length: 5 }, (_, i) => REGISTER(`r${i}`).replace('{ id }', `{ ${fields} }`)).join(' ')} }`;
    expect(JSON.stringify(await refused(costly))).toMatch(/cost/i);
  });

  it('fragment cycles are a validation error, not a stack overflow', async () => {
    await refused(`mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ...A ${REGISTER('r')} }`);
  });

  it('depth hidden in fragments still counts', async () => {
    await refused(
      `mutation { ...F } fragment F on Mutation { registerClient(input: { familyName: "a", givenName: "b", birthDate: "1990-01-01", prefectureCode: "13" }) { ...C } } fragment C on Case { client { ...L } } fragment L on Client { case { client { id } } }`,
    );
  });

  it('a flood of directives is refused', async () => {
    const directives = Array.from({ length: 30 }, () => '@include(if: true)').join(' ');
    await refused(`mutation { ${REGISTER('r')} ${directives} }`.replace('{ id }', `{ id ${directives} }`));
  });

  it('many operations in one document: without an operation name, or with a wrong one, nothing runs (was a 500)', async () => {
    const ops = Array.from({ length: 50 }, (_, i) => `mutation M${i} { ${REGISTER('r')} }`).join('\n');
    for (const operationName of [undefined, 'Nope']) {
      const before = await clients();
      const r = await api.post(
        { query: ops, operationName },
        { authorization: `Bearer ${token}`, 'x-organization-id': org },
      );
      expect({ status: r.status, codes: (r.body as Body).errors?.map((e) => e.extensions?.code) }).toEqual({
        status: 400,
        codes: ['OPERATION_RESOLUTION_FAILURE'],
      });
      expect(await clients()).toBe(before);
    }
  });

  it('deeply nested variables are refused without a 500', async () => {
    let nested: unknown = 'x';
    for (let i = 0; i < 2000; i++) nested = { a: nested };
    await refused(`mutation($input: RegisterClientInput!) { registerClient(input: $input) { id } }`, {
      input: { familyName: nested, givenName: 'b', birthDate: '1990-01-01', prefectureCode: '13' },
    });
    let list: unknown = ['x'];
    for (let i = 0; i < 2000; i++) list = [list];
    await refused(`mutation($ids: [ID!]!) { startHandovers(inputs: []) { id } }`, { ids: list });
  });

  it('a mutation over GET is refused (405), a GET query needs the CSRF preflight header', async () => {
    const before = await clients();
    const q = encodeURIComponent(`mutation { ${REGISTER('r')} }`);
    const headers = { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' };
    const get = await fetch(`${api.url}/graphql?query=${q}`, { headers });
    expect(get.status).toBe(405);
    expect(await clients()).toBe(before);
    const noPreflight = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(noPreflight.status).toBe(400);
  });

  it('an unknown persisted query is a typed error', async () => {
    const r = await api.post({
      extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
    });
    const codes = ((r.body as Body).errors ?? []).map((e) => e.extensions?.code);
    expect(codes.length).toBeGreaterThan(0);
    for (const c of codes) expect(TYPED_ERROR_CODES).toContain(c);
  });
});

describe('introspection off in production, whichever way it is asked', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ NODE_ENV: 'production' });
  });
  afterAll(() => api?.close());

  it.each([
    ['__schema', '{ __schema { types { name } } }'],
    ['__type', '{ __type(name: "Query") { name fields { name } } }'],
    ['an aliased __type', '{ t: __type(name: "Client") { fields { name } } }'],
    ['__type in a fragment', '{ ...F } fragment F on Query { __type(name: "Case") { name } }'],
    ['__type with a variable', 'query($n: String!) { __type(name: $n) { name } }'],
  ])('refuses %s', async (_, query) => {
    const r = await api.post({ query, variables: { n: 'Query' } });
    expect(r.status).toBe(400);
    const body = r.body as Body;
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('still answers __typename', async () => {
    expect((await api.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});
