import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories } from '../harness/factories.js';
import { disableRowLevelSecurity } from '../harness/probe-world.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id } }`;
const ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { kind correctsEntryId } }`;

/** What the cross-tenant probe (test/e2e/tenant-probe.e2e-spec.ts) found, each kept as a plain regression test. */
describe('findings of the cross-tenant probe', () => {
  let api: TestApi;
  let token: string;
  let caseId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const f = factories(api.db.owner);
    const org = await f.organization();
    const supporter = await f.member(org.id, ['SUPPORTER']);
    token = (await api.tokens.issue(supporter.id)).token;
    const d = await api.gql<{ registerClient: { id: string } }>(
      REGISTER,
      { input: { familyName: '試験', givenName: '花子', birthDate: '1990-01-01', prefectureCode: '13' } },
      { token },
    );
    caseId = d.data!.registerClient.id;
  });
  afterAll(() => api.close());

  it('an empty correctsEntryId names no entry: a note is recorded (it was a 500), a correction is refused', async () => {
    const note = await api.gql(
      ENTRY,
      { input: { caseId, kind: 'NOTE', summary: '面談', correctsEntryId: '' } },
      { token },
    );
    expect(note.errors).toBeUndefined();
    expect(note.data).toEqual({ addTimelineEntry: { kind: 'NOTE', correctsEntryId: null } });
    const correction = await api.gql(
      ENTRY,
      { input: { caseId, kind: 'CORRECTION', summary: '訂正', correctsEntryId: '' } },
      { token },
    );
    expect(codes(correction)).toEqual(['BAD_USER_INPUT']);
  });

  it('with row-level security off (the first wall alone), a recipient still sees only its grants and shared notes', async () => {
    const f = factories(api.db.owner);
    const [owner, recipient, other] = [await f.organization(), await f.organization(), await f.organization()];
    const as = async (orgId: string, roles: ('SUPPORTER' | 'COORDINATOR')[]) => {
      const m = await f.member(orgId, roles);
      const t = (await api.tokens.issue(m.id)).token;
      return {
        id: m.id,
        ok: async (query: string, variables: Record<string, unknown> = {}) => {
          const r = await api.gql<Record<string, any>>(query, variables, { token: t, org: orgId });
          expect(r.errors).toBeUndefined();
          return r.data!;
        },
      };
    };
    const supporter = await as(owner.id, ['SUPPORTER']);
    const coordinator = await as(recipient.id, ['COORDINATOR']);
    const reg = await supporter.ok(REGISTER.replace('{ id }', '{ id client { id } }'), {
      input: { familyName: '二重', givenName: '壁子', birthDate: '1980-02-02', prefectureCode: '13' },
    });
    const [caseId, clientId] = [reg.registerClient.id, reg.registerClient.client.id];
    await supporter.ok(ENTRY, { input: { caseId, kind: 'NOTE', summary: '共有される記録' } });
    const grant = async (to: string) =>
      (
        await supporter.ok(`mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`, {
          input: {
            clientId,
            recipientOrganizationIds: [to],
            purposes: ['REFERRAL'],
            categories: ['IDENTITY', 'NOTES'],
            method: 'WRITTEN',
            evidenceRef: `同意書 ${to}`,
          },
        })
      ).recordConsent.id as string;
    const toRecipient = await grant(recipient.id);
    await grant(other.id);
    const referral = await supporter.ok(`mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`, {
      input: { caseId, toOrganizationId: recipient.id, reason: 'ASSESSMENT', sharedCategories: ['IDENTITY', 'NOTES'] },
    });
    await coordinator.ok(`mutation($id: ID!) { acceptReferral(id: $id) { id } }`, { id: referral.sendReferral.id });

    await disableRowLevelSecurity(api.db.owner);
    const READ = `query($id: ID!) { client(id: $id) { familyName sharedNotes { summary } consents { id } } }`;
    const shared = await coordinator.ok(READ, { id: clientId });
    expect(shared.client).toEqual({
      familyName: '二重',
      sharedNotes: expect.arrayContaining([{ summary: '共有される記録' }]),
      consents: [{ id: toRecipient }], // not the grant naming another organization
    });
    await supporter.ok(`mutation($id: ID!) { withdrawConsent(id: $id, reason: "本人の申し出") { id } }`, {
      id: toRecipient,
    });
    const withdrawn = await coordinator.ok(READ, { id: clientId });
    expect(withdrawn.client).toEqual({ familyName: null, sharedNotes: [], consents: [{ id: toRecipient }] });
  });
});
