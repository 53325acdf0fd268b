import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getNamedType, isLeafType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { servedSchema } from '../harness/probe-schema.js';
import { PROBE_API_ENV } from '../harness/tenant-probe.js';
import { factories } from '../harness/factories.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

type Data = Record<string, any>;
type Role = 'SUPPORTER' | 'COORDINATOR' | 'ORG_ADMIN' | 'ANALYST';
type Side = 'owner' | 'recipient';
type ConsentState = 'active' | 'withdrawn';
type Category = 'IDENTITY' | 'CONTACT' | 'HEALTH' | 'EMPLOYMENT' | 'NOTES';
const ROLES: Role[] = ['SUPPORTER', 'COORDINATOR', 'ORG_ADMIN', 'ANALYST'];

/**
 * The expected matrix, written from PRODUCT.md, not from the code's output.
 *
 * §2, client profile fields by data category. "Address" is the prefecture and municipality codes (the only address
 * the schema holds), so both are CONTACT.
 */
const CATEGORY_OF: Record<string, Category> = {
  familyName: 'IDENTITY',
  givenName: 'IDENTITY',
  familyNameKana: 'IDENTITY',
  givenNameKana: 'IDENTITY',
  birthDate: 'IDENTITY',
  sex: 'IDENTITY',
  phone: 'CONTACT',
  email: 'CONTACT',
  prefectureCode: 'CONTACT',
  municipalityCode: 'CONTACT',
  designatedDiseaseNumbers: 'HEALTH',
  disabilityCertificate: 'HEALTH',
  disclosure: 'EMPLOYMENT',
};

/** The story: the grant covers IDENTITY, CONTACT, HEALTH and NOTES; the referral shares IDENTITY, HEALTH and NOTES. */
const CONSENTED: Category[] = ['IDENTITY', 'CONTACT', 'HEALTH', 'NOTES'];
const SHARED: Category[] = ['IDENTITY', 'HEALTH', 'NOTES'];
const ALL: Category[] = ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT', 'NOTES'];

/**
 * §3 consent: the owner sees every category; a recipient only those both shared by the accepted referral and covered
 * by an ACTIVE grant naming it; after withdrawal, none.
 */
const visible = (side: Side, state: ConsentState): Category[] =>
  side === 'owner' ? ALL : state === 'active' ? SHARED.filter((c) => CONSENTED.includes(c)) : [];

/**
 * §3 permissions: SUPPORTER (assigned) and COORDINATOR work the cases of their organization and the clients, referrals
 * and consents reached through them; ORG_ADMIN has no case access from that role alone; ANALYST never sees a client
 * field. So Client, Case, Referral and ConsentGrant are reachable by the first two only, on both sides, and each
 * organization keeps its own case (and its entries) whatever happens to the consent.
 */
const reaches = (role: Role) => role === 'SUPPORTER' || role === 'COORDINATOR';

/**
 * What each other field shows when its object is reachable: `shown` (a value), `hidden` (null or empty), `any`
 * (whatever the state of the object makes it: a closing date of an open case is null). Every field of the four types
 * must be listed: a new field fails the matrix until someone decides here, from PRODUCT.md, who may see it.
 */
type Expect = 'shown' | 'hidden' | 'any';
type Rule = Expect | ((side: Side, state: ConsentState) => Expect);
const ownerOnly: Rule = (side) => (side === 'owner' ? 'shown' : 'hidden');
const recipientOnly: Rule = (side) => (side === 'recipient' ? 'shown' : 'hidden');
const OTHER_FIELDS: Record<'Client' | 'Case' | 'Referral' | 'ConsentGrant', Record<string, Rule>> = {
  Client: {
    id: 'shown',
    redactedFields: 'any', // checked exactly below
    visibleCategories: (side, state) => (visible(side, state).length ? 'shown' : 'hidden'), // exactly below
    // The grants the organization recorded, or that name it (what its access rests on; WITHDRAWN stays listed).
    consents: 'shown',
    // §2: the 第三者提供記録 is listed by the owner organization.
    provisions: ownerOnly,
    // NOTES: the owner's entries, to a recipient, while NOTES is shared and consented.
    sharedNotes: (side, state) => (side === 'recipient' && visible(side, state).includes('NOTES') ? 'shown' : 'hidden'),
  },
  Case: {
    id: 'shown',
    status: 'shown',
    phase: 'shown',
    openedAt: 'shown',
    lastActivityAt: 'shown',
    organization: 'shown',
    assignees: 'shown',
    assignments: 'shown',
    client: 'shown',
    timeline: 'shown', // "each organisation always keeps its own case and its own timeline entries"
    openReferralCount: 'any',
    closeReason: 'any',
    closedAt: 'any',
    followUps: 'any',
    placements: 'any',
    nextFollowUpAt: 'any',
    nextFollowUpOn: 'any',
  },
  Referral: {
    id: 'shown',
    status: 'shown',
    reason: 'shown',
    urgency: 'shown',
    message: 'shown',
    sharedCategories: 'shown',
    fromOrganization: 'shown',
    toOrganization: 'shown',
    client: 'shown',
    consent: 'shown',
    history: 'shown',
    sentAt: 'shown',
    receivedAt: 'shown',
    respondedAt: 'shown',
    respondBy: 'shown',
    // A case is its organization's: the sender sees its own, the recipient the one the referral opened.
    fromCase: ownerOnly,
    toCase: recipientOnly,
    closedAt: 'any',
    outcome: 'any',
    declineCode: 'any',
    statusReason: 'any',
    previousReferralId: 'any',
  },
  ConsentGrant: {
    id: 'shown',
    client: 'shown',
    organization: 'shown',
    recipients: 'shown',
    purposes: 'shown',
    categories: 'shown',
    method: 'shown',
    grantedBy: 'shown',
    grantedAt: 'shown',
    expiresAt: 'shown',
    status: 'shown',
    withdrawnAt: (_side, state) => (state === 'withdrawn' ? 'shown' : 'hidden'),
    // PRODUCT.md does not say; the stricter reading (APPI's minimum necessary): the recipient needs the grant's
    // scope, status and dates, not the owner's evidence reference or the client's reason for withdrawing.
    evidenceRef: ownerOnly,
    withdrawalReason: (side, state) => (side === 'owner' && state === 'withdrawn' ? 'shown' : 'hidden'),
  },
};
type TypeName = keyof typeof OTHER_FIELDS;
const TYPES = Object.keys(OTHER_FIELDS) as TypeName[];

const isShown = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);

/** Every field of a type: leaves by name, objects by id (a Client in full, to check its masking wherever it shows). */
function selection(schema: GraphQLSchema, type: string): string {
  const t = schema.getType(type) as GraphQLObjectType;
  return Object.values(t.getFields())
    .map((f) => {
      const inner = getNamedType(f.type);
      if (isLeafType(inner)) return f.name;
      if (inner.name === 'Client' && type !== 'Client') return `${f.name} { ${selection(schema, 'Client')} }`;
      if (!isObjectType(inner)) return '';
      const sub = inner.getFields();
      return `${f.name} { ${'id' in sub ? 'id' : 'totalCount' in sub ? 'totalCount' : '__typename'} }`;
    })
    .join(' ');
}

/**
 * Field-level matrix: for every role of the owner organization and of a recipient organization (an accepted referral
 * sharing some categories), with the client's consent active and withdrawn, every field of Client, Case, Referral and
 * ConsentGrant (enumerated from the served schema) is returned exactly when PRODUCT.md allows it, and every redacted
 * profile field is listed in `redactedFields`.
 */
describe('field-level matrix', () => {
  let api: TestApi;
  let schema: GraphQLSchema;
  const token: Record<string, string> = {};
  const org: Record<Side, string> = { owner: '', recipient: '' };
  /** The objects each side reads, per consent state. */
  const subject: Record<ConsentState, Record<Side, { client: string; case: string; referral: string }>> = {
    active: {} as never,
    withdrawn: {} as never,
  };
  let cells = 0;

  const gql = async (side: Side, role: Role, query: string, variables: Data) =>
    api.gql<Data>(query, variables, { token: token[`${side}:${role}`]!, org: org[side] });
  const ok = async (side: Side, role: Role, query: string, variables: Data) => {
    const r = await gql(side, role, query, variables);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!;
  };

  beforeAll(async () => {
    api = await startTestApi(PROBE_API_ENV);
    schema = await servedSchema(api);
    const f = factories(api.db.owner);
    org.owner = (await f.organization({ name: 'ハローワーク品川', kind: 'HELLO_WORK' })).id;
    org.recipient = (await f.organization({ name: '東京都難病相談支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
    for (const side of ['owner', 'recipient'] as Side[]) {
      for (const role of ROLES) {
        const m = await f.member(org[side], [role]);
        token[`${side}:${role}`] = (await api.tokens.issue(m.id)).token;
        token[`${side}:${role}:id`] = m.id;
      }
    }
    for (const state of ['active', 'withdrawn'] as ConsentState[]) {
      const reg = await ok(
        'owner',
        'SUPPORTER',
        `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`,
        {
          input: {
            familyName: '品川',
            givenName: '陽子',
            familyNameKana: 'シナガワ',
            givenNameKana: 'ヨウコ',
            birthDate: '1986-05-20',
            sex: 'FEMALE',
            prefectureCode: '13',
            municipalityCode: '131091',
            phone: '03-5555-0101',
            email: `yoko-${state}@example.jp`,
            designatedDiseaseNumbers: [13],
            disabilityCertificate: 'PHYSICAL',
            disclosure: 'OPEN',
          },
        },
      );
      const caseId = reg.registerClient.id as string;
      const clientId = reg.registerClient.client.id as string;
      await ok(
        'owner',
        'SUPPORTER',
        `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id } }`,
        {
          input: { caseId, kind: 'CONSULTATION', summary: '初回面談', body: '通院は月1回' },
        },
      );
      const consent = (
        await ok(
          'owner',
          'SUPPORTER',
          `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`,
          {
            input: {
              clientId,
              recipientOrganizationIds: [org.recipient],
              purposes: ['REFERRAL', 'INFO_SHARING'],
              categories: CONSENTED,
              method: 'WRITTEN',
              evidenceRef: '同意書 2026-0101',
              expiresAt: new Date(Date.now() + 180 * 86400_000).toISOString(),
            },
          },
        )
      ).recordConsent.id as string;
      const referral = (
        await ok('owner', 'SUPPORTER', `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`, {
          input: {
            caseId,
            toOrganizationId: org.recipient,
            reason: 'BALANCE_SUPPORT',
            sharedCategories: SHARED,
            message: '両立支援の相談',
          },
        })
      ).sendReferral.id as string;
      const accepted = await ok(
        'recipient',
        'COORDINATOR',
        `mutation($id: ID!, $a: ID) { acceptReferral(id: $id, assigneeId: $a) { toCase { id } } }`,
        {
          id: referral,
          a: token['recipient:SUPPORTER:id'],
        },
      );
      if (state === 'withdrawn') {
        await ok(
          'owner',
          'SUPPORTER',
          `mutation($id: ID!) { withdrawConsent(id: $id, reason: "本人の申し出") { id } }`,
          { id: consent },
        );
      }
      subject[state] = {
        owner: { client: clientId, case: caseId, referral },
        recipient: { client: clientId, case: accepted.acceptReferral.toCase.id, referral },
      };
    }
  });
  afterAll(() => api.close());

  it('lists every field of the four types (enumerated from the served schema) in the expected matrix', () => {
    for (const type of TYPES) {
      const fields = Object.keys((schema.getType(type) as GraphQLObjectType).getFields());
      const listed = [...Object.keys(OTHER_FIELDS[type]), ...(type === 'Client' ? Object.keys(CATEGORY_OF) : [])];
      expect({ type, unlisted: fields.filter((f) => !listed.includes(f)) }).toEqual({ type, unlisted: [] });
      expect({ type, gone: listed.filter((f) => !fields.includes(f)) }).toEqual({ type, gone: [] });
    }
  });

  /** The mismatches of one client view against the masking rule: values and redactedFields. */
  const checkClient = (where: string, c: Data, side: Side, state: ConsentState, out: string[]) => {
    const cats = visible(side, state);
    for (const [field, cat] of Object.entries(CATEGORY_OF)) {
      cells++;
      const allowed = cats.includes(cat);
      if (isShown(c[field]) !== allowed)
        out.push(`${where}.${field}: ${allowed ? 'missing' : 'returned'} (${JSON.stringify(c[field])})`);
      if (c.redactedFields.includes(field) === allowed)
        out.push(`${where}.${field}: redactedFields ${allowed ? 'lists' : 'omits'} it`);
    }
    const expectedRedacted = Object.keys(CATEGORY_OF).filter((f) => !cats.includes(CATEGORY_OF[f]!));
    if ([...c.redactedFields].sort().join() !== expectedRedacted.sort().join()) {
      out.push(
        `${where}.redactedFields: ${JSON.stringify(c.redactedFields)}, expected ${JSON.stringify(expectedRedacted)}`,
      );
    }
    if ([...c.visibleCategories].sort().join() !== [...cats].sort().join()) {
      out.push(`${where}.visibleCategories: ${JSON.stringify(c.visibleCategories)}, expected ${JSON.stringify(cats)}`);
    }
  };

  /** One type as one role of one side reads it: the object (or null with an error) and its fields against the rules. */
  const check = async (type: TypeName, side: Side, state: ConsentState, role: Role, out: string[]) => {
    const s = subject[state][side];
    const sel = selection(schema, type);
    const r =
      type === 'Client'
        ? await gql(side, role, `query($id: ID!) { client(id: $id) { ${sel} } }`, { id: s.client })
        : type === 'Case'
          ? await gql(side, role, `query($id: ID!) { case(id: $id) { ${sel} } }`, { id: s.case })
          : type === 'Referral'
            ? await gql(side, role, `query($id: ID!) { referral(id: $id) { ${sel} } }`, { id: s.referral })
            : await gql(side, role, `query($id: ID!) { referral(id: $id) { consent { ${sel} } } }`, { id: s.referral });
    const root = r.data ? Object.values(r.data)[0] : null;
    const obj: Data | null = type === 'ConsentGrant' ? (root?.consent ?? null) : root;
    const where = `${side} ${role} (${state}) ${type}`;
    if (!reaches(role)) {
      cells++;
      if (obj) out.push(`${where}: returned to a role that may not reach it`);
      if (!r.errors?.length) out.push(`${where}: no error for a role that may not reach it`);
      return;
    }
    if (!obj) return void out.push(`${where}: not returned (${JSON.stringify(r.errors)})`);
    if (r.errors?.length) out.push(`${where}: errors ${JSON.stringify(r.errors)}`);
    for (const [field, rule] of Object.entries(OTHER_FIELDS[type])) {
      cells++;
      const want = typeof rule === 'function' ? rule(side, state) : rule;
      if (want === 'any') continue;
      if (isShown(obj[field]) !== (want === 'shown')) {
        out.push(`${where}.${field}: ${want === 'shown' ? 'missing' : 'returned'} (${JSON.stringify(obj[field])})`);
      }
    }
    if (type === 'Client') checkClient(where, obj, side, state, out);
    else checkClient(`${where}.client`, obj.client, side, state, out);
  };

  for (const side of ['owner', 'recipient'] as Side[]) {
    for (const state of ['active', 'withdrawn'] as ConsentState[]) {
      it(`${side} organization, consent ${state}: each role sees exactly what PRODUCT.md allows`, async () => {
        const out: string[] = [];
        for (const role of ROLES) for (const type of TYPES) await check(type, side, state, role, out);
        expect(out).toEqual([]);
      });
    }
  }

  it('checked every cell', () => {
    // 4 roles × 2 sides × 2 consent states × the fields of 4 types (and the client nested in three of them).
    console.log(`field-level matrix: ${cells} cells checked`);
    expect(cells).toBeGreaterThan(500);
  });
});
