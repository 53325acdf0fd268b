import { Injectable } from '@nestjs/common';
import {
  assertCan,
  Database,
  forbidden,
  queryRows,
  TokenService,
  unauthenticated,
  verifyPassword,
  type ActingMembership,
  type AuthenticatedUser,
  type RequestContext,
  type RequestTransaction,
  type Role,
  type Tx,
} from '@tasuki/platform';
import { abilityFor } from '../policies.js';
import { isUuid } from '../shared/validation.js';
import {
  ACTIVE_MEMBERSHIP,
  MEMBERSHIP_VIEW_SQL,
  toMembershipView,
  type MembershipView,
  type MembershipViewRow,
} from './member.model.js';

const SIGN_IN_FAILED = 'メールアドレスまたはパスワードが正しくありません。';
const UNKNOWN_ACCOUNT = 'このアカウントでは利用できません。管理者に連絡してください。';

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  is_operator: boolean;
  password_hash: string | null;
}

export interface SignInResult {
  token: string;
  expiresAt: Date;
  user: AuthenticatedUser;
  memberships: MembershipView[];
}

interface MembershipRow {
  id: string;
  org_id: string;
  roles: Role[];
  term_ends_on: string | null;
}

interface Principal {
  user: AuthenticatedUser;
  memberships: MembershipRow[];
}

export interface Viewer {
  user: AuthenticatedUser;
  memberships: MembershipView[];
  actingOrganizationId: string | null;
}

const toUser = (r: UserRow): AuthenticatedUser => ({
  id: r.id,
  email: r.email,
  displayName: r.display_name,
  isOperator: r.is_operator,
});

@Injectable()
export class AuthService {
  constructor(
    private readonly db: Database,
    private readonly tokens: TokenService,
  ) {}

  /** Local sign-in. Unknown e-mail and wrong password get the same answer after the same work. */
  async signIn(email: string, password: string): Promise<SignInResult> {
    const normalized = email.normalize('NFC').trim();
    if (normalized.length > 254 || password.length > 200) {
      await verifyPassword(null, password.slice(0, 200));
      throw unauthenticated(SIGN_IN_FAILED);
    }
    const rows: UserRow[] = await this.db.run({ orgId: null, userId: null, authEmail: normalized }, (tx) =>
      tx.query(
        'SELECT id, email, display_name, is_operator, password_hash FROM users WHERE email_normalized = lower($1)',
        [normalized],
      ),
    );
    const ok = await verifyPassword(rows[0]?.password_hash, password);
    if (!ok || !rows[0]) throw unauthenticated(SIGN_IN_FAILED);
    const user = toUser(rows[0]);
    const { token, expiresAt } = await this.tokens.issue(user.id);
    const memberships = await this.db.run({ orgId: null, userId: user.id }, (tx) => this.membershipsOf(tx, user.id));
    return { token, expiresAt, user, memberships };
  }

  /**
   * The request pipeline's first step: verify the bearer token, find the user and the acting membership named by
   * X-Organization-Id (optional when the user has exactly one), and build the CASL ability for it.
   */
  async authenticate(
    bearer: string,
    organizationHeader: string | undefined,
    requestId: string,
    shared?: RequestTransaction,
  ): Promise<RequestContext> {
    const identity = await this.tokens.verify(bearer);
    const principal =
      identity.kind === 'local'
        ? await this.loadLocalPrincipal(identity.userId, shared)
        : await this.loadOidcPrincipal(identity.subject, identity.email);
    return this.contextOf(principal, organizationHeader, requestId);
  }

  /**
   * The queue dashboard's cookie for the platform operator, in exchange for their bearer token (a browser cannot
   * send that header to a page): a short-lived token of its own audience.
   */
  async openAdminSession(ctx: RequestContext): Promise<{ token: string; expiresAt: Date }> {
    assertCan(ctx, 'read', 'JobQueue');
    return this.tokens.issueAdminSession(ctx.user.id);
  }

  /** A request carrying the dashboard's cookie: the user as they are now, so a revoked operator is refused at once. */
  async authenticateAdminSession(token: string, requestId: string): Promise<RequestContext> {
    const { userId } = await this.tokens.verifyAdminSession(token);
    return this.contextOf(await this.loadLocalPrincipal(userId), undefined, requestId);
  }

  private contextOf(
    principal: Principal | null,
    organizationHeader: string | undefined,
    requestId: string,
  ): RequestContext {
    if (!principal) throw unauthenticated(UNKNOWN_ACCOUNT);
    const { user, memberships } = principal;

    // The membership named by X-Organization-Id, or the only one when the header is left out.
    const header = organizationHeader?.trim();
    const m = header
      ? memberships.find((x) => x.org_id === header.toLowerCase())
      : memberships.length === 1
        ? memberships[0]
        : undefined;
    if (header && !m) throw forbidden('X-Organization-Id で指定された機関に所属していません。');
    const acting: ActingMembership | null = m
      ? { id: m.id, orgId: m.org_id, roles: m.roles, termEndsOn: m.term_ends_on }
      : null;
    const ability = abilityFor({
      userId: user.id,
      isOperator: user.isOperator,
      orgId: acting?.orgId ?? null,
      roles: acting?.roles ?? [],
    });
    return { requestId, user, orgId: acting?.orgId ?? null, membership: acting, ability };
  }

  async viewer(ctx: RequestContext): Promise<Viewer> {
    const memberships = await this.db.run({ orgId: null, userId: ctx.user.id }, (tx) =>
      this.membershipsOf(tx, ctx.user.id),
    );
    return { user: ctx.user, memberships, actingOrganizationId: ctx.orgId };
  }

  private async membershipsOf(tx: Tx, userId: string): Promise<MembershipView[]> {
    const rows: MembershipViewRow[] = await tx.query(
      `${MEMBERSHIP_VIEW_SQL} WHERE m.user_id = $1 AND ${ACTIVE_MEMBERSHIP('m')} ORDER BY o.name, o.id`,
      [userId],
    );
    return rows.map(toMembershipView);
  }

  /** The user and their memberships in force, in one statement: this runs on every authenticated request. */
  private async principalOf(tx: Tx, userId: string): Promise<Principal | null> {
    const found: (UserRow & { memberships: MembershipRow[] })[] = await tx.query(
      `SELECT u.id, u.email, u.display_name, u.is_operator, NULL AS password_hash,
              coalesce((SELECT json_agg(json_build_object('id', m.id, 'org_id', m.org_id, 'roles', m.roles,
                                        'term_ends_on', to_char(m.term_ends_on, 'YYYY-MM-DD')))
                          FROM memberships m WHERE m.user_id = u.id AND ${ACTIVE_MEMBERSHIP('m')}), '[]') AS memberships
         FROM users u WHERE u.id = $1`,
      [userId],
    );
    return found[0] ? { user: toUser(found[0]), memberships: found[0].memberships } : null;
  }

  /**
   * A local token's user and memberships, acting as that user alone. In a query request's shared transaction
   * (`shared`), which then goes on to act for the organization picked; an OIDC identity, which may link an account,
   * always gets a transaction of its own.
   */
  private async loadLocalPrincipal(userId: string, shared?: RequestTransaction): Promise<Principal | null> {
    if (!isUuid(userId)) return null;
    if (!shared) return this.db.run({ orgId: null, userId }, (tx) => this.principalOf(tx, userId));
    await shared.actAs({ orgId: null, userId });
    return shared.run((tx) => this.principalOf(tx, userId));
  }

  /** Maps an OIDC identity to a user: by subject, else by verified e-mail (linking the subject on first use). */
  private async loadOidcPrincipal(subject: string, email: string | null): Promise<Principal | null> {
    return this.db.run(
      { orgId: null, userId: null, authSubject: subject, authEmail: email ?? undefined },
      async (tx) => {
        const bySubject: { id: string }[] = await tx.query('SELECT id FROM users WHERE oidc_subject = $1', [subject]);
        let userId = bySubject[0]?.id;
        if (!userId && email) {
          const linked = await queryRows<{ id: string }>(
            tx,
            `UPDATE users SET oidc_subject = $1, updated_at = now()
              WHERE email_normalized = lower($2) AND oidc_subject IS NULL AND NOT is_operator RETURNING id`,
            [subject, email],
          );
          userId = linked[0]?.id;
        }
        if (!userId) return null;
        await tx.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
        return this.principalOf(tx, userId);
      },
    );
  }
}
