import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories, type Factories } from '../harness/factories.js';

const ME = `{ me { user { id } memberships { organization { id } roles } actingOrganization { id } } }`;
const ADD = `mutation($org: ID!) { addMember(organizationId: $org, input: { email: "new-${Date.now()}@example.jp", displayName: "新任", roles: [SUPPORTER], password: "a long enough password" }) { id } }`;

describe('the acting organization (X-Organization-Id)', () => {
  let api: TestApi;
  let f: Factories;
  let hw: string;
  let center: string;
  let other: string;
  let single: { id: string };
  let dual: { id: string };

  const tokenOf = async (userId: string) => (await api.tokens.issue(userId)).token;

  beforeAll(async () => {
    api = await startTestApi();
    f = factories(api.db.owner);
    hw = (await f.organization({ kind: 'HELLO_WORK' })).id;
    center = (await f.organization({ kind: 'DISEASE_SUPPORT_CENTER' })).id;
    other = (await f.organization()).id;
    single = await f.member(hw, ['ORG_ADMIN']);
    dual = await f.user();
    await f.membership(hw, dual.id, ['SUPPORTER']);
    await f.membership(center, dual.id, ['ORG_ADMIN']);
  });
  afterAll(() => api.close());

  it('may be left out when the user has exactly one membership', async () => {
    const r = await api.gql<{ me: { actingOrganization: { id: string } } }>(
      ME,
      {},
      { token: await tokenOf(single.id) },
    );
    expect(r.data!.me.actingOrganization).toEqual({ id: hw });
  });

  it('selects among several memberships, and the roles follow the selected one', async () => {
    const token = await tokenOf(dual.id);
    const asCenter = await api.gql<{ me: { actingOrganization: { id: string } } }>(ME, {}, { token, org: center });
    expect(asCenter.data!.me.actingOrganization).toEqual({ id: center });
    // ORG_ADMIN at the centre may add members there...
    expect((await api.gql(ADD, { org: center }, { token, org: center })).errors).toBeUndefined();
    // ...but acting for Hello Work, where the same user is only a supporter, may not.
    expect(codes(await api.gql(ADD, { org: hw }, { token, org: hw }))).toEqual(['FORBIDDEN']);
  });

  it('is none when a user of several memberships names none: me answers, organization-bound operations are refused', async () => {
    const token = await tokenOf(dual.id);
    const r = await api.gql<{ me: { actingOrganization: null; memberships: unknown[] } }>(ME, {}, { token });
    expect(r.data!.me.actingOrganization).toBeNull();
    expect(r.data!.me.memberships).toHaveLength(2);
    const refused = await api.gql(ADD, { org: center }, { token });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0]!.message).toContain('X-Organization-Id');
  });

  it('is FORBIDDEN when the header names an organization the user is not a member of, or is malformed', async () => {
    const token = await tokenOf(dual.id);
    for (const org of [other, f.uuid(), 'not-a-uuid', "' OR 1=1 --"]) {
      const r = await api.gql(ME, {}, { token, org });
      expect(codes(r)).toEqual(['FORBIDDEN']);
      expect(r.data).toBeNull();
    }
  });

  it('ignores memberships that ended or whose term has passed', async () => {
    const user = await f.user();
    await f.membership(hw, user.id, ['COORDINATOR'], { ended: true });
    await f.membership(center, user.id, ['COORDINATOR'], { termEndsOn: '2020-03-31' });
    const token = await tokenOf(user.id);
    const r = await api.gql<{ me: { memberships: unknown[]; actingOrganization: null } }>(ME, {}, { token });
    expect(r.data!.me.memberships).toEqual([]);
    expect(r.data!.me.actingOrganization).toBeNull();
    expect(codes(await api.gql(ME, {}, { token, org: center }))).toEqual(['FORBIDDEN']);
  });
});
