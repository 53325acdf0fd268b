import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { codes, startTestApi, type TestApi } from '../harness/test-api.js';
import { factories, type Factories } from '../harness/factories.js';

const ISSUER = 'https://idp.pref.example.jp/realms/tasuki';
const AUDIENCE = 'tasuki-api';
const ME = `{ me { user { id email } } }`;

/** A small identity provider: a JWKS endpoint on loopback and a signing key, as a real IdP would publish. */
async function startIdp(): Promise<{
  jwksUrl: string;
  sign: (
    claims: Record<string, unknown>,
    o?: { key?: CryptoKey; iss?: string; aud?: string; kid?: string },
  ) => Promise<string>;
  close: () => Promise<void>;
}> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    sign: (claims, o = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' })
        .setIssuer(o.iss ?? ISSUER)
        .setAudience(o.aud ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(o.key ?? privateKey),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('tokens from an external OpenID Connect provider', () => {
  let api: TestApi;
  let f: Factories;
  let idp: Awaited<ReturnType<typeof startIdp>>;
  let org: string;

  beforeAll(async () => {
    idp = await startIdp();
    api = await startTestApi({ OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: idp.jwksUrl });
    f = factories(api.db.owner);
    org = (await f.organization()).id;
  });
  afterAll(async () => {
    await api.close();
    await idp.close();
  });

  it('maps the token subject to the user who has it', async () => {
    const user = await f.user({ oidcSubject: 'sub-known' });
    await f.membership(org, user.id, ['SUPPORTER']);
    const r = await api.gql<{ me: { user: { id: string } } }>(ME, {}, { token: await idp.sign({ sub: 'sub-known' }) });
    expect(r.data!.me.user.id).toBe(user.id);
  });

  it('maps a new subject by verified e-mail once, and by subject after that', async () => {
    const user = await f.user({ email: 'sato@hellowork.example.jp', password: null });
    const first = await api.gql<{ me: { user: { id: string } } }>(
      ME,
      {},
      { token: await idp.sign({ sub: 'sub-sato', email: 'Sato@HelloWork.example.jp', email_verified: true }) },
    );
    expect(first.data!.me.user.id).toBe(user.id);
    const later = await api.gql<{ me: { user: { id: string } } }>(
      ME,
      {},
      { token: await idp.sign({ sub: 'sub-sato' }) },
    );
    expect(later.data!.me.user.id).toBe(user.id);
  });

  it('does not link an unverified e-mail, an account already linked to another subject, or the operator', async () => {
    await f.user({ email: 'unverified@example.jp' });
    await f.user({ email: 'linked@example.jp', oidcSubject: 'sub-original' });
    await f.user({ email: 'op@example.jp', operator: true });
    for (const claims of [
      { sub: 'sub-x1', email: 'unverified@example.jp', email_verified: false },
      { sub: 'sub-x2', email: 'linked@example.jp', email_verified: true },
      { sub: 'sub-x3', email: 'op@example.jp', email_verified: true },
      { sub: 'sub-unknown' },
    ]) {
      expect(codes(await api.gql(ME, {}, { token: await idp.sign(claims) }))).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses tokens of another issuer, another audience or another key', async () => {
    await f.user({ oidcSubject: 'sub-ok' });
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    for (const token of [
      await idp.sign({ sub: 'sub-ok' }, { iss: 'https://evil.example/' }),
      await idp.sign({ sub: 'sub-ok' }, { aud: 'another-app' }),
      await idp.sign({ sub: 'sub-ok' }, { key: otherKey }),
      await idp.sign({ sub: 'sub-ok' }, { key: otherKey, kid: 'k2' }),
    ]) {
      expect(codes(await api.gql(ME, {}, { token }))).toEqual(['UNAUTHENTICATED']);
    }
    expect((await api.gql(ME, {}, { token: await idp.sign({ sub: 'sub-ok' }) })).errors).toBeUndefined();
  });

  it('still accepts the service’s own tokens', async () => {
    const user = await f.user();
    const { token } = await api.tokens.issue(user.id);
    expect((await api.gql(ME, {}, { token })).errors).toBeUndefined();
  });
});
