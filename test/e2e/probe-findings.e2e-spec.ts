import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories } from '../harness/factories.js';

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
});
