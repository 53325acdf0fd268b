import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AuditService, encodeCursor, MembersService, type AuditEventView } from '@tasuki/domain';
import { createDataSource, Database } from '@tasuki/platform';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories, type Factories } from '../harness/factories.js';

const EVENTS = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { seq occurredAt action subjectType subjectId fields purpose requestId hash actor { id displayName email } }
  }
}`;
const CHAIN = `{ auditChain { ok length brokenAt } }`;
const ADD = `mutation($org: ID!, $input: AddMemberInput!) { addMember(organizationId: $org, input: $input) { id user { id } } }`;
const CREATE = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }`;

/** An event as GraphQL serializes it: the instant as a string, the actor resolved. */
type Event = Omit<AuditEventView, 'occurredAt' | 'actorUserId'> & {
  occurredAt: string;
  actor: { id: string; displayName: string; email: string } | null;
};
type Events = {
  auditEvents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Event[] };
};

describe('the audit log', () => {
  let api: TestApi;
  let f: Factories;
  let operator: { id: string; token: string };
  let org: string;
  let admin: { id: string; token: string };
  let adminMembership: string;
  let added: { membership: string; user: string }[];
  let otherOrg: string;
  let otherAdmin: string;

  const tokenOf = async (userId: string) => (await api.tokens.issue(userId)).token;
  /** addMember's input for an existing account: no password, so no argon2 hash per event on a loaded machine. */
  const newMember = async (roles: string[] = ['SUPPORTER']) => ({
    email: (await f.user()).email,
    displayName: '監査 太郎',
    roles,
  });
  const list = (variables: Record<string, unknown>, token = admin.token) =>
    api.gql<Events>(EVENTS, variables, { token });
  const seqs = async (variables: Record<string, unknown>) => {
    const r = await list(variables);
    expect(r.errors).toBeUndefined();
    return r.data!.auditEvents.nodes.map((e) => e.seq);
  };
  const chainOf = async (token: string) =>
    (await api.gql<{ auditChain: unknown }>(CHAIN, {}, { token })).data?.auditChain;
  const verifyChain = (orgId: string) =>
    api.app.get(Database).run({ orgId, userId: null }, (tx) => api.app.get(AuditService).verifyChain(tx, orgId));

  /** An organization of its own whose admin has added `count` members: a chain of `count` events to tamper with. */
  const orgWithEvents = async (count: number) => {
    const o = (await f.organization()).id;
    const token = await tokenOf((await f.member(o, ['ORG_ADMIN'])).id);
    for (let i = 0; i < count; i++) {
      expect((await api.gql(ADD, { org: o, input: await newMember() }, { token })).errors).toBeUndefined();
    }
    return { org: o, token };
  };

  beforeAll(async () => {
    api = await startTestApi();
    f = factories(api.db.owner);
    const op = await f.user({ operator: true });
    operator = { id: op.id, token: await tokenOf(op.id) };
    // The chain: 1 organization.created and 2 membership.added by the operator, then 3–5 by the organization's admin.
    const created = await api.gql<{ createOrganization: { id: string } }>(
      CREATE,
      { input: { name: '監査テスト機関', kind: 'HELLO_WORK', prefectureCode: '13' } },
      { token: operator.token },
    );
    org = created.data!.createOrganization.id;
    const first = await api.gql<{ addMember: { id: string; user: { id: string } } }>(
      ADD,
      { org, input: await newMember(['ORG_ADMIN']) },
      { token: operator.token },
    );
    adminMembership = first.data!.addMember.id;
    admin = { id: first.data!.addMember.user.id, token: await tokenOf(first.data!.addMember.user.id) };
    added = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.gql<{ addMember: { id: string; user: { id: string } } }>(
        ADD,
        { org, input: await newMember() },
        { token: admin.token, headers: { 'x-request-id': `audit-e2e-${i}` } },
      );
      added.push({ membership: r.data!.addMember.id, user: r.data!.addMember.user.id });
    }
    otherOrg = (await f.organization()).id;
    otherAdmin = await tokenOf((await f.member(otherOrg, ['ORG_ADMIN'])).id);
    expect(
      (await api.gql(ADD, { org: otherOrg, input: await newMember() }, { token: otherAdmin })).errors,
    ).toBeUndefined();
  });
  afterAll(() => api.close());

  it('shows an ORG_ADMIN its organization’s events, newest first, with what, when, who and the hash', async () => {
    const r = await list({});
    expect(r.errors).toBeUndefined();
    const { totalCount, nodes } = r.data!.auditEvents;
    expect(totalCount).toBe(5);
    expect(nodes.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(nodes[0]).toMatchObject({
      action: 'membership.added',
      subjectType: 'Membership',
      subjectId: added[2]!.membership,
      fields: ['roles', 'termEndsOn'],
      purpose: null,
      requestId: 'audit-e2e-2',
      actor: { id: admin.id },
    });
    expect(nodes[4]).toMatchObject({ action: 'organization.created', subjectType: 'Organization', subjectId: org });
    for (const e of nodes) {
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Date(e.occurredAt).toISOString()).toBe(e.occurredAt);
    }
    const times = nodes.map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('resolves the actors of a page in one lookup, and shows no actor outside the organization (the operator)', async () => {
    const lookup = jest.spyOn(api.app.get(MembersService), 'usersByIds');
    try {
      const nodes = (await list({})).data!.auditEvents.nodes;
      expect(lookup).toHaveBeenCalledTimes(1);
      expect([...lookup.mock.calls[0]![1]].sort()).toEqual([admin.id, operator.id].sort());
      expect(nodes.map((e) => e.actor?.id ?? null)).toEqual([admin.id, admin.id, admin.id, null, null]);
    } finally {
      lookup.mockRestore();
    }
  });

  it('filters by action, subject, actor and a half-open time window', async () => {
    expect(await seqs({ filter: { action: 'organization.created' } })).toEqual([1]);
    expect(await seqs({ filter: { subjectType: 'Membership' } })).toEqual([5, 4, 3, 2]);
    expect(await seqs({ filter: { subjectId: adminMembership } })).toEqual([2]);
    expect(await seqs({ filter: { actorUserId: admin.id } })).toEqual([5, 4, 3]);
    expect(await seqs({ filter: { actorUserId: added[0]!.user } })).toEqual([]);
    expect(await seqs({ filter: { action: 'membership.added', actorUserId: operator.id } })).toEqual([2]);

    const at = new Map((await list({})).data!.auditEvents.nodes.map((e) => [e.seq, e.occurredAt]));
    expect(await seqs({ filter: { occurredFrom: at.get(2), occurredTo: at.get(4) } })).toEqual([3, 2]);
    expect(await seqs({ filter: { occurredFrom: at.get(4) } })).toEqual([5, 4]);
    expect(await seqs({ filter: { occurredTo: at.get(2) } })).toEqual([1]);
    // Any offset names the same instant.
    const inTokyo = new Date(Date.parse(at.get(4)!) + 9 * 3600_000).toISOString().replace('Z', '+09:00');
    expect(await seqs({ filter: { occurredFrom: inTokyo } })).toEqual([5, 4]);
    const filtered = await list({ filter: { actorUserId: admin.id } });
    expect(filtered.data!.auditEvents.totalCount).toBe(3);
  });

  it('pages with a cursor, keeps totalCount, and ends; filters and pages together', async () => {
    const walk = async (filter: Record<string, unknown>, first: number) => {
      const pages: number[][] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const r: { data?: Events | null } = await list({ filter, first, after });
        const conn: Events['auditEvents'] = r.data!.auditEvents;
        pages.push(conn.nodes.map((e) => e.seq));
        if (!conn.pageInfo.hasNextPage) return { pages, totalCount: conn.totalCount };
        after = conn.pageInfo.endCursor;
      }
      throw new Error('did not end');
    };
    expect(await walk({}, 2)).toEqual({ pages: [[5, 4], [3, 2], [1]], totalCount: 5 });
    expect(await walk({ actorUserId: admin.id }, 2)).toEqual({ pages: [[5, 4], [3]], totalCount: 3 });
    expect(await walk({}, 5)).toEqual({ pages: [[5, 4, 3, 2, 1]], totalCount: 5 });
  });

  it('refuses a bad page size, cursor, actor id or date-time with BAD_USER_INPUT', async () => {
    for (const variables of [
      { first: 0 },
      { first: 201 },
      { after: 'bm90IGEgY3Vyc29y' },
      { after: encodeCursor(['Robert); DROP TABLE audit_events;--']) },
      { after: encodeCursor([0]) },
      { filter: { actorUserId: 'not-a-uuid' } },
      { filter: { action: 'x'.repeat(101) } },
      { filter: { occurredFrom: 'yesterday' } },
      { filter: { occurredFrom: '2025-02-30T00:00:00Z' } },
      { filter: { occurredFrom: '2025-04-01T09:00:00' } },
      { filter: { occurredFrom: 1743465600000 } },
      { filter: { occurredFrom: '2025-04-02T00:00:00Z', occurredTo: '2025-04-01T00:00:00Z' } },
    ]) {
      const r = await list(variables);
      expect({ variables, codes: codes(r) }).toEqual({ variables, codes: ['BAD_USER_INPUT'] });
    }
  });

  it('never shows another organization’s events, whatever its admin asks', async () => {
    const other = await list({}, otherAdmin);
    expect(other.errors).toBeUndefined();
    expect(other.data!.auditEvents.totalCount).toBe(1);
    expect(other.data!.auditEvents.nodes.map((e) => e.seq)).toEqual([1]);
    const ours = new Set((await list({})).data!.auditEvents.nodes.map((e) => e.hash));
    expect(ours.has(other.data!.auditEvents.nodes[0]!.hash)).toBe(false);
    expect((await list({ filter: { subjectId: org } }, otherAdmin)).data!.auditEvents.totalCount).toBe(0);
    expect((await list({ filter: { actorUserId: admin.id } }, otherAdmin)).data!.auditEvents.totalCount).toBe(0);
    // Naming our organization as the acting one does not work for someone who is not a member of it.
    expect(codes(await api.gql(EVENTS, {}, { token: otherAdmin, org }))).toEqual(['FORBIDDEN']);
    expect(codes(await api.gql(CHAIN, {}, { token: otherAdmin, org }))).toEqual(['FORBIDDEN']);
  });

  it('refuses coordinators, supporters, analysts and the platform operator with FORBIDDEN, and strangers with UNAUTHENTICATED', async () => {
    for (const role of ['COORDINATOR', 'SUPPORTER', 'ANALYST'] as const) {
      const token = await tokenOf((await f.member(org, [role])).id);
      expect({ role, codes: codes(await list({}, token)) }).toEqual({ role, codes: ['FORBIDDEN'] });
      expect({ role, codes: codes(await api.gql(CHAIN, {}, { token })) }).toEqual({ role, codes: ['FORBIDDEN'] });
    }
    expect(codes(await list({}, operator.token))).toEqual(['FORBIDDEN']);
    expect(codes(await api.gql(CHAIN, {}, { token: operator.token }))).toEqual(['FORBIDDEN']);
    expect(codes(await api.gql(EVENTS))).toEqual(['UNAUTHENTICATED']);
  });

  it('lets an admin who is also a supporter elsewhere read only the organization it acts for as admin', async () => {
    const both = await f.user();
    await f.membership(org, both.id, ['ORG_ADMIN']);
    await f.membership(otherOrg, both.id, ['SUPPORTER']);
    const token = await tokenOf(both.id);
    expect((await api.gql<Events>(EVENTS, {}, { token, org })).data!.auditEvents.totalCount).toBe(5);
    expect(codes(await api.gql(EVENTS, {}, { token, org: otherOrg }))).toEqual(['FORBIDDEN']);
  });

  it('reports an untouched chain as ok, with its length', async () => {
    expect(await chainOf(admin.token)).toEqual({ ok: true, length: 5, brokenAt: null });
    expect(await chainOf(otherAdmin)).toEqual({ ok: true, length: 1, brokenAt: null });
  });

  it('finds an event edited behind the service’s back (as the owner role), at its seq', async () => {
    const { org: o, token } = await orgWithEvents(3);
    await api.db.owner.query(`UPDATE audit_events SET fields = '{roles}' WHERE org_id = $1 AND seq = 2`, [o]);
    expect(await chainOf(token)).toEqual({ ok: false, length: 3, brokenAt: 2 });
    expect(await verifyChain(o)).toEqual({ ok: false, brokenAt: 2 });
    // The list still shows what is stored: the admin can see which event the report points at.
    expect((await api.gql<Events>(EVENTS, { filter: {} }, { token })).data!.auditEvents.nodes[1]).toMatchObject({
      seq: 2,
      fields: ['roles'],
    });
  });

  it('finds an event deleted behind the service’s back, at the gap', async () => {
    const { org: o, token } = await orgWithEvents(3);
    await api.db.owner.query('DELETE FROM audit_events WHERE org_id = $1 AND seq = 2', [o]);
    expect(await chainOf(token)).toEqual({ ok: false, length: 2, brokenAt: 2 });
    expect(await verifyChain(o)).toEqual({ ok: false, brokenAt: 2 });
  });

  describe('recordMany across two organizations', () => {
    const batch = (a: string, b: string) =>
      ['x.one', 'y.one', 'x.two', 'y.two', 'x.three'].map((action) => ({
        orgId: action.startsWith('x') ? a : b,
        actorUserId: null,
        action,
        subjectType: 'Test',
      }));

    it('extends both chains in order, and both still verify', async () => {
      const x = await orgWithEvents(1);
      const y = await orgWithEvents(2);
      // Only a role outside row-level security (the owner, e.g. a system job) can write two organizations at once.
      const owner = new Database(await createDataSource({ url: api.db.ownerUrl, poolSize: 1 }).initialize());
      try {
        await owner.run({ orgId: null, userId: null }, (tx) =>
          api.app.get(AuditService).recordMany(tx, batch(x.org, y.org)),
        );
      } finally {
        await owner.dataSource.destroy();
      }
      expect(await chainOf(x.token)).toEqual({ ok: true, length: 4, brokenAt: null });
      expect(await chainOf(y.token)).toEqual({ ok: true, length: 4, brokenAt: null });
      expect(await verifyChain(x.org)).toEqual({ ok: true, length: 4 });
      expect(await verifyChain(y.org)).toEqual({ ok: true, length: 4 });
      const actions = async (token: string) =>
        (await api.gql<Events>(EVENTS, {}, { token })).data!.auditEvents.nodes.map((e) => `${e.seq} ${e.action}`);
      expect(await actions(x.token)).toEqual(['4 x.three', '3 x.two', '2 x.one', '1 membership.added']);
      expect(await actions(y.token)).toEqual(['4 y.two', '3 y.one', '2 membership.added', '1 membership.added']);
    });

    it('is refused whole by row-level security for the application role acting for one of them', async () => {
      const x = await orgWithEvents(1);
      const y = await orgWithEvents(1);
      await expect(
        api.app
          .get(Database)
          .run({ orgId: x.org, userId: null }, (tx) => api.app.get(AuditService).recordMany(tx, batch(x.org, y.org))),
      ).rejects.toThrow(/row-level security/);
      expect(await chainOf(x.token)).toEqual({ ok: true, length: 1, brokenAt: null });
      expect(await chainOf(y.token)).toEqual({ ok: true, length: 1, brokenAt: null });
    });
  });
});
