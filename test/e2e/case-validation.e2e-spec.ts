import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories } from '../harness/factories.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`;
const ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id } }`;

const valid = {
  familyName: '田中',
  givenName: '太郎',
  birthDate: '1990-01-31',
  prefectureCode: '13',
};

/** Bad input gets BAD_USER_INPUT naming the field, and writes nothing. */
describe('validation of the shared case’s inputs', () => {
  let api: TestApi;
  let token: string;
  let caseId: string;
  let clientId: string;
  let partner: string;
  let closedPartner: string;

  const rows = async () =>
    (
      await api.db.owner.query(
        `SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM cases) + (SELECT count(*) FROM consent_grants)
              + (SELECT count(*) FROM referrals) + (SELECT count(*) FROM timeline_entries)
              + (SELECT count(*) FROM audit_events) AS n`,
      )
    ).rows[0].n;
  const refused = async (query: string, input: Record<string, unknown>, field: string) => {
    const before = await rows();
    const r = await api.gql(query, { input }, { token });
    expect({ input, codes: codes(r), field: r.errors?.[0]?.extensions?.field }).toEqual({
      input,
      codes: ['BAD_USER_INPUT'],
      field,
    });
    expect(await rows()).toBe(before);
  };

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    const org = (await f.organization({ kind: 'HELLO_WORK' })).id;
    partner = (await f.organization({ kind: 'VOCATIONAL_CENTER' })).id;
    closedPartner = (await f.organization({ kind: 'NPO', acceptsReferrals: false })).id;
    token = (await api.tokens.issue((await f.member(org, ['SUPPORTER'])).id)).token;
    const r = await api.gql<{ registerClient: { id: string; client: { id: string } } }>(
      REGISTER,
      { input: valid },
      { token },
    );
    expect(r.errors).toBeUndefined();
    caseId = r.data!.registerClient.id;
    clientId = r.data!.registerClient.client.id;
    const g = await api.gql(
      CONSENT,
      {
        input: {
          clientId,
          recipientOrganizationIds: [partner, closedPartner],
          purposes: ['REFERRAL'],
          categories: ['IDENTITY'],
          method: 'VERBAL_RECORDED',
        },
      },
      { token },
    );
    expect(g.errors).toBeUndefined();
  });
  afterAll(() => api.close());

  it('refuses a bad client registration', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ familyName: '  ' }, 'familyName'],
      [{ familyName: 'x'.repeat(51) }, 'familyName'],
      [{ givenName: '太\u202E郎' }, 'givenName'],
      [{ familyNameKana: 'たなか' }, 'familyNameKana'],
      [{ givenNameKana: 'Taro' }, 'givenNameKana'],
      [{ birthDate: '2999-01-01' }, 'birthDate'],
      [{ birthDate: '1850-01-01' }, 'birthDate'],
      [{ sex: 'X' }, 'sex'],
      [{ prefectureCode: '48' }, 'prefectureCode'],
      [{ municipalityCode: '131001' }, 'municipalityCode'], // wrong check digit
      [{ municipalityCode: '141003' }, 'municipalityCode'], // Yokohama is not in Tokyo
      [{ phone: '12345' }, 'phone'],
      [{ email: 'no-at-sign' }, 'email'],
      [{ designatedDiseaseNumbers: [0] }, 'designatedDiseaseNumbers'],
      [{ designatedDiseaseNumbers: [349] }, 'designatedDiseaseNumbers'],
      [{ designatedDiseaseNumbers: [13, 13] }, 'designatedDiseaseNumbers'],
      [{ designatedDiseaseNumbers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, 'designatedDiseaseNumbers'],
    ];
    for (const [over, field] of cases) await refused(REGISTER, { ...valid, ...over }, field);
    // An invalid calendar date never reaches the service: the Date scalar refuses it.
    const r = await api.gql(REGISTER, { input: { ...valid, birthDate: '1990-02-30' } }, { token });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts full-width digits and half-width kana, normalised', async () => {
    const r = await api.gql(
      REGISTER,
      { input: { ...valid, phone: '０９０－１２３４－５６７８', familyNameKana: 'ﾀﾅｶ', municipalityCode: '131016' } },
      { token },
    );
    expect(r.errors).toBeUndefined();
  });

  it('refuses a bad consent', async () => {
    const base = {
      clientId,
      recipientOrganizationIds: [partner],
      purposes: ['REFERRAL'],
      categories: ['IDENTITY'],
      method: 'WRITTEN',
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ recipientOrganizationIds: [] }, 'recipientOrganizationIds'],
      [{ recipientOrganizationIds: [partner, partner] }, 'recipientOrganizationIds'],
      [{ recipientOrganizationIds: ['00000000-0000-4000-8000-000000000000'] }, 'recipientOrganizationIds'],
      [{ purposes: [] }, 'purposes'],
      [{ categories: ['IDENTITY', 'IDENTITY'] }, 'categories'],
      [{ expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
      [{ expiresAt: '2099-01-01T00:00:00Z' }, 'expiresAt'],
      [{ grantedAt: '2099-01-01T00:00:00Z' }, 'grantedAt'],
      [{ evidenceRef: 'x'.repeat(201) }, 'evidenceRef'],
    ];
    for (const [over, field] of cases) await refused(CONSENT, { ...base, ...over }, field);
  });

  it('refuses a bad referral', async () => {
    const base = { caseId, toOrganizationId: partner, reason: 'ASSESSMENT', sharedCategories: ['IDENTITY'] };
    const cases: [Record<string, unknown>, string][] = [
      [{ sharedCategories: [] }, 'sharedCategories'],
      [{ respondBy: '2020-01-01' }, 'respondBy'],
      [{ toOrganizationId: 'not-a-uuid' }, 'toOrganizationId'],
      [{ toOrganizationId: '00000000-0000-4000-8000-000000000000' }, 'toOrganizationId'],
      [{ toOrganizationId: closedPartner }, 'toOrganizationId'],
      [{ message: 'x'.repeat(2001) }, 'message'],
      [{ previousReferralId: '00000000-0000-4000-8000-000000000000' }, 'previousReferralId'],
    ];
    for (const [over, field] of cases) await refused(SEND, { ...base, ...over }, field);
  });

  it('refuses a bad timeline entry, and system kinds written by hand', async () => {
    const base = { caseId, kind: 'CONSULTATION', summary: '面談' };
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'REFERRAL_ACCEPTED' }, 'kind'],
      [{ kind: 'SOMETHING' }, 'kind'],
      [{ summary: '' }, 'summary'],
      [{ summary: 'x'.repeat(201) }, 'summary'],
      [{ body: 'a\u0000b' }, 'body'],
      [{ occurredAt: new Date(Date.now() + 86400_000).toISOString() }, 'occurredAt'],
      [{ kind: 'CORRECTION' }, 'correctsEntryId'],
      [{ kind: 'CORRECTION', correctsEntryId: '00000000-0000-4000-8000-000000000000' }, 'correctsEntryId'],
    ];
    for (const [over, field] of cases) await refused(ENTRY, { ...base, ...over }, field);
  });

  it('records a correction as a new entry pointing at the corrected one', async () => {
    const first = await api.gql<{ addTimelineEntry: { id: string } }>(
      ENTRY,
      { input: { caseId, kind: 'CONSULTATION', summary: '面談 (10時)' } },
      { token },
    );
    const fix = await api.gql<{ addTimelineEntry: { id: string } }>(
      ENTRY,
      {
        input: {
          caseId,
          kind: 'CORRECTION',
          summary: '面談は11時でした',
          correctsEntryId: first.data!.addTimelineEntry.id,
        },
      },
      { token },
    );
    expect(fix.errors).toBeUndefined();
    const { rows: r } = await api.db.owner.query(
      'SELECT corrects_entry_id, (SELECT summary FROM timeline_entries WHERE id = $1) AS original FROM timeline_entries WHERE id = $2',
      [first.data!.addTimelineEntry.id, fix.data!.addTimelineEntry.id],
    );
    expect(r[0]).toEqual({ corrects_entry_id: first.data!.addTimelineEntry.id, original: '面談 (10時)' });
  });
});
