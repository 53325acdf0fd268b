import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories, PASSWORD, type Factories } from '../harness/factories.js';

const SIGN_IN = `mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token user { id email displayName } memberships { id roles organization { id name } } }
}`;
const ME = `{ me { user { id email } memberships { id roles organization { id } } actingOrganization { id name } } }`;

describe('sign-in and tokens', () => {
  let api: TestApi;
  let f: Factories;
  let org: { id: string; name: string };
  let alice: { id: string; email: string };

  beforeAll(async () => {
    api = await startTestApi();
    f = factories(api.db.owner);
    org = await f.organization({ name: 'ハローワーク品川' });
    alice = await f.member(org.id, ['SUPPORTER']);
  });
  afterAll(() => api.close());

  it('signs a member in with the right password and returns a token, the user and the memberships', async () => {
    const r = await api.gql<{
      signIn: { token: string; user: { id: string }; memberships: { organization: { id: string } }[] };
    }>(SIGN_IN, { email: alice.email, password: PASSWORD });
    expect(r.errors).toBeUndefined();
    expect(r.data!.signIn.user.id).toBe(alice.id);
    expect(r.data!.signIn.memberships.map((m) => m.organization.id)).toEqual([org.id]);
    const me = await api.gql<{ me: { user: { id: string } } }>(ME, {}, { token: r.data!.signIn.token });
    expect(me.data!.me.user.id).toBe(alice.id);
  });

  it('accepts the e-mail in any letter case', async () => {
    const r = await api.gql(SIGN_IN, { email: alice.email.toUpperCase(), password: PASSWORD });
    expect(r.errors).toBeUndefined();
  });

  it('answers a wrong password and an unknown e-mail identically', async () => {
    const wrong = await api.gql(SIGN_IN, { email: alice.email, password: 'not the password at all' });
    const unknown = await api.gql(SIGN_IN, { email: 'nobody-here@example.jp', password: PASSWORD });
    const noPassword = await f.user({ password: null });
    const passwordless = await api.gql(SIGN_IN, { email: noPassword.email, password: PASSWORD });
    for (const r of [wrong, unknown, passwordless]) {
      expect(r.data).toBeNull();
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    }
    expect(unknown.errors).toEqual(wrong.errors);
    expect(passwordless.errors).toEqual(wrong.errors);
  });

  it('refuses a request without a token for anything but signIn', async () => {
    const r = await api.gql(ME);
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses an expired token', async () => {
    const { token } = await api.tokens.issue(alice.id, new Date(Date.now() - 2 * api.config.jwt.ttlSeconds * 1000));
    const r = await api.gql(ME, {}, { token });
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a tampered token, one signed with another key, and one for another audience', async () => {
    const { token } = await api.tokens.issue(alice.id);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: org.id })).toString('base64url')}.${s}`;
    const otherKey = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.id)
      .setIssuer(api.config.jwt.issuer)
      .setAudience(api.config.jwt.audience)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(48)));
    const wrongAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.id)
      .setIssuer(api.config.jwt.issuer)
      .setAudience('someone-else')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(api.config.jwt.secret!));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    for (const bad of [forged, otherKey, wrongAudience, unsigned, 'garbage', `${token}x`]) {
      const r = await api.gql(ME, {}, { token: bad });
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses a valid token whose user no longer exists', async () => {
    const { token } = await api.tokens.issue(f.uuid());
    expect(codes(await api.gql(ME, {}, { token }))).toEqual(['UNAUTHENTICATED']);
  });
});
