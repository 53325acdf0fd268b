import { Injectable } from '@nestjs/common';
import {
  Database,
  forbidden,
  queryRows,
  TokenService,
  unauthenticated,
  verifyPassword,
  type ActingMembership,
  type AuthenticatedUser,
  type RequestContext,
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
  ): Promise<RequestContext> {
    const identity = await this.tokens.verify(bearer);
    const user =
      identity.kind === 'local'
        ? await this.findLocalUser(identity.userId)
        : await this.findOidcUser(identity.subject, identity.email);
    if (!user) throw unauthenticated(UNKNOWN_ACCOUNT);

    const memberships: { id: string; org_id: string; roles: Role[]; term_ends_on: string | null }[] = await this.db.run(
      { orgId: null, userId: user.id },
      (tx) =>
        tx.query(
          `SELECT m.id, m.org_id, m.roles, to_char(m.term_ends_on, 'YYYY-MM-DD') AS term_ends_on
             FROM memberships m WHERE m.user_id = $1 AND ${ACTIVE_MEMBERSHIP('m')}`,
          [user.id],
        ),
    );
    let acting: ActingMembership | null = null;
    const header = organizationHeader?.trim();
    if (header) {
      const m = isUuid(header) ? memberships.find((x) => x.org_id === header.toLowerCase()) : undefined;
      if (!m) throw forbidden('X-Organization-Id で指定された機関に所属していません。');
      acting = { id: m.id, orgId: m.org_id, roles: m.roles, termEndsOn: m.term_ends_on };
    } else if (memberships.length === 1) {
      const m = memberships[0]!;
      acting = { id: m.id, orgId: m.org_id, roles: m.roles, termEndsOn: m.term_ends_on };
    }
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

  private async findLocalUser(userId: string): Promise<AuthenticatedUser | null> {
    if (!isUuid(userId)) return null;
    const rows: UserRow[] = await this.db.run({ orgId: null, userId }, (tx) =>
      tx.query('SELECT id, email, display_name, is_operator, NULL AS password_hash FROM users WHERE id = $1', [userId]),
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Maps an OIDC identity to a user: by subject, else by verified e-mail (linking the subject on first use). */
  private async findOidcUser(subject: string, email: string | null): Promise<AuthenticatedUser | null> {
    return this.db.run(
      { orgId: null, userId: null, authSubject: subject, authEmail: email ?? undefined },
      async (tx) => {
        const cols = 'id, email, display_name, is_operator, NULL AS password_hash';
        const bySubject: UserRow[] = await tx.query(`SELECT ${cols} FROM users WHERE oidc_subject = $1`, [subject]);
        if (bySubject[0]) return toUser(bySubject[0]);
        if (!email) return null;
        const linked = await queryRows<UserRow>(
          tx,
          `UPDATE users SET oidc_subject = $1, updated_at = now()
          WHERE email_normalized = lower($2) AND oidc_subject IS NULL AND NOT is_operator RETURNING ${cols}`,
          [subject, email],
        );
        return linked[0] ? toUser(linked[0]) : null;
      },
    );
  }
}
