import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from '../errors/app-error.js';

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  oidc?: { issuer: string; audience: string; jwksUrl: string };
  /** Lifetime of the queue dashboard's session token (its cookie). */
  adminSessionTtlSeconds?: number;
}

/** What a verified bearer token says about its holder. */
export type TokenIdentity =
  | { kind: 'local'; userId: string; expiresAt: Date }
  | { kind: 'oidc'; subject: string; email: string | null; expiresAt: Date };

const VERIFIED_TOKENS = 10_000;
const INVALID = 'トークンが無効か、有効期限が切れています。もう一度サインインしてください。';

/**
 * Local tokens: HS256 JWTs signed with JWT_SECRET, with issuer, audience, expiry and a random id. Tokens from an
 * external OpenID Connect provider are accepted when OIDC_* is configured, verified against its JWKS.
 */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly jwks?: JWTVerifyGetKey;
  /**
   * API tokens whose signature and claims this process has verified, until they expire. A token is an immutable
   * string signed with this process's key, so a second verification can only give the same answer; what may change
   * meanwhile — the user, their memberships — is loaded on every request anyway. Saves the HMAC (about 1 ms of the
   * event loop's time per request under load). Bounded: the oldest entries go first.
   */
  private readonly verified = new Map<string, { userId: string; expiresAt: Date }>();

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
    if (settings.oidc) this.jwks = createRemoteJWKSet(new URL(settings.oidc.jwksUrl), { cooldownDuration: 30_000 });
  }

  issue(userId: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    return this.sign(userId, this.settings.audience, this.settings.ttlSeconds, now);
  }

  /**
   * The queue dashboard's session (the cookie of POST /admin/session): a short-lived local token with an audience of
   * its own, so that it is never accepted as an API bearer token, nor an API token as a dashboard session.
   */
  issueAdminSession(userId: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    return this.sign(userId, this.adminAudience, this.settings.adminSessionTtlSeconds ?? 900, now);
  }

  verifyAdminSession(token: string): Promise<{ userId: string; expiresAt: Date }> {
    return this.verifyLocal(token, this.adminAudience).catch(() => {
      throw unauthenticated(INVALID);
    });
  }

  private async verifyLocal(token: string, audience: string): Promise<{ userId: string; expiresAt: Date }> {
    const { payload } = await jwtVerify(token, this.key, {
      issuer: this.settings.issuer,
      audience,
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    return { userId: payload.sub!, expiresAt: new Date(payload.exp! * 1000) };
  }

  private get adminAudience(): string {
    return `${this.settings.audience}#admin-session`;
  }

  private async sign(userId: string, audience: string, ttlSeconds: number, now: Date) {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.settings.issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string): Promise<TokenIdentity> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthenticated(INVALID);
    }
    try {
      if (this.settings.oidc && this.jwks && issuer === this.settings.oidc.issuer) {
        const { payload } = await jwtVerify(token, this.jwks, {
          issuer: this.settings.oidc.issuer,
          audience: this.settings.oidc.audience,
          algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
          requiredClaims: ['sub', 'exp'],
        });
        const email = typeof payload.email === 'string' && payload.email_verified !== false ? payload.email : null;
        return { kind: 'oidc', subject: payload.sub!, email, expiresAt: new Date(payload.exp! * 1000) };
      }
      const known = this.verified.get(token);
      if (known && known.expiresAt.getTime() > Date.now()) return { kind: 'local', ...known };
      if (known) this.verified.delete(token);
      const local = await this.verifyLocal(token, this.settings.audience);
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, local);
      return { kind: 'local', ...local };
    } catch {
      throw unauthenticated(INVALID);
    }
  }
}
