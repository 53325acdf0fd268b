import { Inject, Injectable } from '@nestjs/common';
import {
  assertCan,
  badInput,
  CONFIG,
  conflict,
  Database,
  hashPassword,
  notFound,
  ROLES,
  type AppConfig,
  type RequestContext,
  type Role,
} from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { cleanEmail, cleanLine, isIsoDate, isUuid, todayInJapan, uniqueOrFail } from '../shared/validation.js';
import {
  MEMBERSHIP_VIEW_SQL,
  toMembershipView,
  type AddMemberInput,
  type MembershipView,
  type MembershipViewRow,
  type UserView,
} from './member.model.js';

export const MIN_PASSWORD_LENGTH = 12;

@Injectable()
export class MembersService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Adds a member to an organization: the platform operator for any organization, or an ORG_ADMIN acting for that
   * organization. A new e-mail creates the account (with a local password unless OIDC sign-in is configured); an
   * existing account is only given the membership: its password is never touched from here.
   */
  async addMember(ctx: RequestContext, organizationId: string, input: AddMemberInput): Promise<MembershipView> {
    if (!isUuid(organizationId)) throw notFound('機関');
    assertCan(ctx, 'create', 'Membership', { orgId: organizationId });
    const email = cleanEmail('email', input.email);
    const displayName = cleanLine('displayName', input.displayName, { max: 100 });
    if (input.roles.length === 0) throw badInput('roles', 'ロールを1つ以上指定してください。');
    const roles = uniqueOrFail('roles', input.roles);
    if (!roles.every((r): r is Role => ROLES.includes(r))) throw badInput('roles', 'ロールが正しくありません。');
    let termEndsOn: string | null = null;
    if (input.termEndsOn) {
      if (!isIsoDate(input.termEndsOn)) throw badInput('termEndsOn', '任期満了日の形式が正しくありません。');
      if (input.termEndsOn < todayInJapan()) throw badInput('termEndsOn', '任期満了日に過去の日付は指定できません。');
      termEndsOn = input.termEndsOn;
    }
    if (input.password !== undefined && input.password !== null && input.password.length < MIN_PASSWORD_LENGTH) {
      throw badInput('password', `パスワードは${MIN_PASSWORD_LENGTH}文字以上にしてください。`);
    }
    if (input.password && input.password.length > 200) throw badInput('password', 'パスワードが長すぎます。');

    const scope = { orgId: organizationId, userId: ctx.user.id, operator: ctx.user.isOperator, authEmail: email };
    return this.db.run(scope, async (tx) => {
      const org: unknown[] = await tx.query('SELECT 1 FROM organizations WHERE id = $1', [organizationId]);
      if (org.length === 0) throw notFound('機関');

      const existing: { id: string }[] = await tx.query('SELECT id FROM users WHERE email_normalized = lower($1)', [
        email,
      ]);
      let userId = existing[0]?.id;
      if (!userId) {
        if (!input.password && !this.config.oidc) {
          throw badInput('password', '新しいアカウントにはパスワードが必要です。');
        }
        const hash = input.password ? await hashPassword(input.password) : null;
        const [created]: { id: string }[] = await tx.query(
          'INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id',
          [email, displayName, hash],
        );
        userId = created!.id;
      }
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO memberships (org_id, user_id, roles, term_ends_on) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET roles = EXCLUDED.roles, term_ends_on = EXCLUDED.term_ends_on,
           ended_at = NULL, updated_at = now()
         WHERE memberships.ended_at IS NOT NULL
         RETURNING id`,
        [organizationId, userId, roles, termEndsOn],
      );
      if (inserted.length === 0) throw conflict('このユーザーはすでにこの機関のメンバーです。', 'email');
      await this.audit.record(tx, {
        orgId: organizationId,
        actorUserId: ctx.user.id,
        action: 'membership.added',
        subjectType: 'Membership',
        subjectId: inserted[0]!.id,
        fields: ['roles', 'termEndsOn'],
        requestId: ctx.requestId,
      });
      const [row]: MembershipViewRow[] = await tx.query(`${MEMBERSHIP_VIEW_SQL} WHERE m.id = $1`, [inserted[0]!.id]);
      return toMembershipView(row!);
    });
  }

  /**
   * Loads users by id for field resolvers (an audit event's actor). Row-level security shows the caller and the
   * members (present or past) of the acting organization; anyone else is simply absent, as is an unknown id.
   */
  async usersByIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, UserView>> {
    assertCan(ctx, 'read', 'User');
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows: { id: string; display_name: string; email: string }[] = await this.db.read(ctx, (tx) =>
      tx.query('SELECT id, display_name, email FROM users WHERE id = ANY($1::uuid[])', [valid]),
    );
    return new Map(rows.map((r) => [r.id, { id: r.id, displayName: r.display_name, email: r.email }]));
  }
}
