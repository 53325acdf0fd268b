import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditService } from '@tasuki/domain';
import { Database } from '@tasuki/platform';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories, PASSWORD, type Factories } from '../harness/factories.js';

const ADD = `mutation($org: ID!, $input: AddMemberInput!) {
  addMember(organizationId: $org, input: $input) { id roles termEndsOn user { id email displayName } organization { id name } }
}`;
const CREATE = `mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { id name kind prefectureCode municipalityCode services acceptsReferrals }
}`;
const SIGN_IN = `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }`;

let n = 0;
const newMember = (over: Record<string, unknown> = {}) => ({
  email: `member-${Date.now()}-${n++}@example.jp`,
  displayName: '山田 花子',
  roles: ['SUPPORTER'],
  password: 'a long enough password',
  ...over,
});

describe('members and organizations', () => {
  let api: TestApi;
  let f: Factories;
  let orgA: string;
  let orgB: string;
  let operator: string;
  let adminA: string;
  let adminB: string;
  let coordinatorA: string;
  let supporterA: string;
  let analystA: string;

  const token = async (userId: string) => (await api.tokens.issue(userId)).token;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await api.db.owner.query(`SELECT count(*) AS n FROM ${sql}`, params)).rows[0].n);

  beforeAll(async () => {
    api = await startTestApi();
    f = factories(api.db.owner);
    orgA = (await f.organization({ name: 'ハローワーク横浜' })).id;
    orgB = (await f.organization({ name: '神奈川障害者職業センター', kind: 'VOCATIONAL_CENTER' })).id;
    operator = await token((await f.user({ operator: true })).id);
    adminA = await token((await f.member(orgA, ['ORG_ADMIN'])).id);
    adminB = await token((await f.member(orgB, ['ORG_ADMIN'])).id);
    coordinatorA = await token((await f.member(orgA, ['COORDINATOR'])).id);
    supporterA = await token((await f.member(orgA, ['SUPPORTER'])).id);
    analystA = await token((await f.member(orgA, ['ANALYST'])).id);
  });
  afterAll(() => api.close());

  describe('addMember', () => {
    it('lets the platform operator add the first member of any organization, who can then sign in', async () => {
      const input = newMember({ roles: ['ORG_ADMIN', 'COORDINATOR'], termEndsOn: '2099-03-31' });
      const r = await api.gql<{
        addMember: { roles: string[]; termEndsOn: string; organization: { id: string }; user: { email: string } };
      }>(ADD, { org: orgB, input }, { token: operator });
      expect(r.errors).toBeUndefined();
      expect(r.data!.addMember).toMatchObject({
        roles: ['ORG_ADMIN', 'COORDINATOR'],
        termEndsOn: '2099-03-31',
        organization: { id: orgB },
      });
      const signIn = await api.gql(SIGN_IN, { email: input.email, password: input.password });
      expect(signIn.errors).toBeUndefined();
    });

    it('lets an ORG_ADMIN add members to its own organization, and records it in the audit chain', async () => {
      const before = await count('audit_events WHERE org_id = $1', [orgA]);
      const r = await api.gql(ADD, { org: orgA, input: newMember() }, { token: adminA });
      expect(r.errors).toBeUndefined();
      expect(await count('audit_events WHERE org_id = $1', [orgA])).toBe(before + 1);
      const db = api.app.get(Database);
      const chain = await db.run({ orgId: orgA, userId: null }, (tx) =>
        api.app.get(AuditService).verifyChain(tx, orgA),
      );
      expect(chain).toEqual({ ok: true, length: before + 1 });
    });

    it('refuses an ORG_ADMIN of another organization, and coordinators, supporters and analysts, writing nothing', async () => {
      const users = await count('users');
      const memberships = await count('memberships');
      for (const t of [adminB, coordinatorA, supporterA, analystA]) {
        const r = await api.gql(ADD, { org: orgA, input: newMember() }, { token: t });
        expect(codes(r)).toEqual(['FORBIDDEN']);
      }
      expect(await count('users')).toBe(users);
      expect(await count('memberships')).toBe(memberships);
    });

    it('adds an existing account to a second organization without touching its password', async () => {
      const existing = await f.member(orgB, ['SUPPORTER']);
      const r = await api.gql(
        ADD,
        { org: orgA, input: newMember({ email: existing.email, password: 'an attacker chosen password' }) },
        { token: adminA },
      );
      expect(r.errors).toBeUndefined();
      expect((await api.gql(SIGN_IN, { email: existing.email, password: PASSWORD })).errors).toBeUndefined();
      expect(codes(await api.gql(SIGN_IN, { email: existing.email, password: 'an attacker chosen password' }))).toEqual(
        ['UNAUTHENTICATED'],
      );
    });

    it('answers CONFLICT for someone who is already a member', async () => {
      const input = newMember();
      expect((await api.gql(ADD, { org: orgA, input }, { token: adminA })).errors).toBeUndefined();
      expect(codes(await api.gql(ADD, { org: orgA, input }, { token: adminA }))).toEqual(['CONFLICT']);
    });

    it('refuses bad input with BAD_USER_INPUT naming the field, and writes nothing', async () => {
      const users = await count('users');
      const cases: [Record<string, unknown>, string][] = [
        [{ email: 'not-an-email' }, 'email'],
        [{ displayName: '   ' }, 'displayName'],
        [{ displayName: 'x'.repeat(101) }, 'displayName'],
        [{ displayName: '悪意\u202Eある名前' }, 'displayName'],
        [{ roles: [] }, 'roles'],
        [{ roles: ['SUPPORTER', 'SUPPORTER'] }, 'roles'],
        [{ password: 'short' }, 'password'],
        [{ password: null }, 'password'],
        [{ termEndsOn: '2020-01-01' }, 'termEndsOn'],
      ];
      for (const [over, field] of cases) {
        const r = await api.gql(ADD, { org: orgA, input: newMember(over) }, { token: adminA });
        expect({ over, codes: codes(r), field: r.errors?.[0]?.extensions?.field }).toEqual({
          over,
          codes: ['BAD_USER_INPUT'],
          field,
        });
      }
      for (const bad of [{ roles: ['KING'] }, { termEndsOn: '2025-02-30' }]) {
        expect(codes(await api.gql(ADD, { org: orgA, input: newMember(bad) }, { token: adminA }))).toEqual([
          'BAD_USER_INPUT',
        ]);
      }
      expect(await count('users')).toBe(users);
    });

    it('answers NOT_FOUND to the operator for an organization that does not exist', async () => {
      expect(codes(await api.gql(ADD, { org: f.uuid(), input: newMember() }, { token: operator }))).toEqual([
        'NOT_FOUND',
      ]);
    });
  });

  describe('createOrganization', () => {
    const input = {
      name: '仙台市障害者就業・生活支援センター',
      kind: 'WORK_LIFE_SUPPORT_CENTER',
      prefectureCode: '04',
      municipalityCode: '041009',
      services: ['生活支援', '職場定着'],
    };

    it('lets the platform operator add an organization, which then appears in the directory', async () => {
      const r = await api.gql<{ createOrganization: { id: string } }>(CREATE, { input }, { token: operator });
      expect(r.errors).toBeUndefined();
      expect(r.data!.createOrganization).toMatchObject({ ...input, acceptsReferrals: true });
      const list = await api.gql<{ organizations: { nodes: { id: string }[] } }>(
        `{ organizations(filter: { prefectureCode: "04" }) { nodes { id } } }`,
        {},
        { token: adminA },
      );
      expect(list.data!.organizations.nodes.map((o) => o.id)).toContain(r.data!.createOrganization.id);
    });

    it('refuses everyone else, writing nothing', async () => {
      const before = await count('organizations');
      for (const t of [adminA, coordinatorA, supporterA, analystA]) {
        expect(codes(await api.gql(CREATE, { input }, { token: t }))).toEqual(['FORBIDDEN']);
      }
      expect(await count('organizations')).toBe(before);
    });

    it('validates prefecture and municipality codes (with the check digit)', async () => {
      const before = await count('organizations');
      for (const [over, field] of [
        [{ prefectureCode: '00' }, 'prefectureCode'],
        [{ prefectureCode: '48' }, 'prefectureCode'],
        [{ municipalityCode: '041008' }, 'municipalityCode'],
        [{ municipalityCode: '04100' }, 'municipalityCode'],
        [{ municipalityCode: '131016' }, 'municipalityCode'],
        [{ name: '' }, 'name'],
      ] as const) {
        const r = await api.gql(CREATE, { input: { ...input, ...over } }, { token: operator });
        expect({ over, codes: codes(r), field: r.errors?.[0]?.extensions?.field }).toEqual({
          over,
          codes: ['BAD_USER_INPUT'],
          field,
        });
      }
      expect(codes(await api.gql(CREATE, { input: { ...input, kind: 'CASINO' } }, { token: operator }))).toEqual([
        'BAD_USER_INPUT',
      ]);
      expect(await count('organizations')).toBe(before);
    });
  });
});
