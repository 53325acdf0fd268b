import { cast } from './cast.js';
import { factories } from './factories.js';
import type { TestApi } from './test-api.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const RECORD_CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;

export interface Story {
  /** Tokens and user ids by name: hwSupporter, hwCoordinator, centreCoordinator, centreSupporter. */
  t: Record<string, string>;
  u: Record<string, string>;
  /** hw (ハローワーク渋谷) and centre (東京都難病相談・支援センター). */
  org: Record<string, string>;
  /** case and client (Hello Work's), consent (to refer the client to the centre, for 90 days). */
  s: Record<string, string>;
}

/**
 * The worker specs' opening: two organizations with a supporter and a coordinator each, and a client the Hello Work
 * supporter registered and may refer to the centre (a written consent naming it, IDENTITY only).
 */
export async function referableCase(api: TestApi, { t, u, org, s }: Story): Promise<void> {
  const f = factories(api.db.owner);
  org.hw = (await f.organization({ name: 'ハローワーク渋谷', kind: 'HELLO_WORK' })).id;
  org.centre = (await f.organization({ name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
  for (const [name, o, roles] of [
    ['hwSupporter', 'hw', ['SUPPORTER']],
    ['hwCoordinator', 'hw', ['COORDINATOR']],
    ['centreCoordinator', 'centre', ['COORDINATOR']],
    ['centreSupporter', 'centre', ['SUPPORTER']],
  ] as const) {
    const m = await f.member(org[o]!, [...roles]);
    u[name] = m.id;
    t[name] = (await api.tokens.issue(m.id)).token;
  }
  const { ok } = cast(() => api, t, org);
  const client = await ok('hwSupporter', REGISTER, {
    input: { familyName: '木村', givenName: '花', birthDate: '1990-01-01', prefectureCode: '13' },
  });
  s.case = client.registerClient.id;
  s.client = client.registerClient.client.id;
  const consent = await ok('hwSupporter', RECORD_CONSENT, {
    input: {
      clientId: s.client,
      recipientOrganizationIds: [org.centre],
      purposes: ['REFERRAL'],
      categories: ['IDENTITY'],
      method: 'WRITTEN',
      expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
    },
  });
  s.consent = consent.recordConsent.id;
}
