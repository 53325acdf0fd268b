import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories, type Factories } from '../harness/factories.js';

const LIST = `query($filter: OrganizationFilter, $first: Int, $after: String) {
  organizations(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name kind prefectureCode municipalityCode services acceptsReferrals }
  }
}`;

type ListResult = {
  organizations: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: { id: string; name: string; kind: string; prefectureCode: string }[];
  };
};

/** The fields PRODUCT.md §2 lists for the directory, and nothing else may be on Organization. */
const DIRECTORY_FIELDS = [
  'acceptsReferrals',
  'contact',
  'id',
  'kind',
  'municipalityCode',
  'name',
  'prefectureCode',
  'services',
];

describe('the organization directory', () => {
  let api: TestApi;
  let f: Factories;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    api = await startTestApi();
    f = factories(api.db.owner);
    const a = await f.organization({
      name: 'あおば難病相談支援センター',
      kind: 'DISEASE_SUPPORT_CENTER',
      prefectureCode: '04',
      services: ['就労相談', 'ピアサポート'],
    });
    const b = await f.organization({ name: 'ハローワーク仙台', kind: 'HELLO_WORK', prefectureCode: '04' });
    await f.organization({ name: 'ハローワーク札幌', kind: 'HELLO_WORK', prefectureCode: '01' });
    await f.organization({ name: '東北大学病院', kind: 'HOSPITAL', prefectureCode: '04', acceptsReferrals: false });
    await f.organization({ name: 'NPO法人 みちのく', kind: 'NPO', prefectureCode: '04' });
    tokenA = (await api.tokens.issue((await f.member(a.id, ['SUPPORTER'])).id)).token;
    tokenB = (await api.tokens.issue((await f.member(b.id, ['ANALYST'])).id)).token;
  });
  afterAll(() => api.close());

  it('is visible to a member of any organization, every role alike', async () => {
    const a = await api.gql<ListResult>(LIST, {}, { token: tokenA });
    const b = await api.gql<ListResult>(LIST, {}, { token: tokenB });
    expect(a.errors).toBeUndefined();
    expect(a.data!.organizations.totalCount).toBe(5);
    expect(b.data).toEqual(a.data);
  });

  it('is not visible without signing in', async () => {
    expect(codes(await api.gql(LIST))).toEqual(['UNAUTHENTICATED']);
  });

  it('filters by kind, prefecture, accepting referrals and text', async () => {
    const run = async (filter: Record<string, unknown>) =>
      (await api.gql<ListResult>(LIST, { filter }, { token: tokenA })).data!.organizations.nodes.map((n) => n.name);
    expect(await run({ kind: 'HELLO_WORK' })).toEqual(['ハローワーク仙台', 'ハローワーク札幌']);
    expect(await run({ prefectureCode: '01' })).toEqual(['ハローワーク札幌']);
    expect(await run({ acceptsReferrals: false })).toEqual(['東北大学病院']);
    expect(await run({ search: 'ピアサポート' })).toEqual(['あおば難病相談支援センター']);
    expect(await run({ search: '仙台', kind: 'HELLO_WORK', prefectureCode: '04' })).toEqual(['ハローワーク仙台']);
    expect(await run({ search: '100%_' })).toEqual([]);
  });

  it('pages with a cursor, keeps totalCount, and ends', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const r: { data?: ListResult | null } = await api.gql<ListResult>(LIST, { first: 2, after }, { token: tokenA });
      const conn: ListResult['organizations'] = r.data!.organizations;
      expect(conn.totalCount).toBe(5);
      seen.push(...conn.nodes.map((n) => n.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('refuses a bad prefecture code, page size or cursor with BAD_USER_INPUT', async () => {
    for (const vars of [
      { filter: { prefectureCode: '48' } },
      { filter: { prefectureCode: '4' } },
      { first: 0 },
      { first: 1000 },
      { after: 'bm90IGEgY3Vyc29y' },
    ]) {
      const r = await api.gql(LIST, vars, { token: tokenA });
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('exposes only directory fields on Organization: never a client, case or member field', async () => {
    const r = await api.gql<{ __type: { fields: { name: string }[] } }>(
      `{ __type(name: "Organization") { fields { name } } }`,
      {},
      { token: tokenA },
    );
    expect(r.data!.__type.fields.map((x) => x.name).sort()).toEqual(DIRECTORY_FIELDS);
  });
});
