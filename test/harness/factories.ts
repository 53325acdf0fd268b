import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { hashPassword, type Role } from '@tasuki/platform';
import type { OrganizationKind } from '@tasuki/domain';

export const PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;
const hashOf = (password: string) =>
  password === PASSWORD ? (passwordHash ??= hashPassword(PASSWORD)) : hashPassword(password);

let seq = 0;
const next = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

export interface OrgRow {
  id: string;
  name: string;
  kind: OrganizationKind;
  prefectureCode: string;
}

/** Test data, written as the owner (behind the service), so each test builds exactly what it needs. */
export function factories(owner: pg.Pool) {
  return {
    async organization(
      o: Partial<{
        name: string;
        kind: OrganizationKind;
        prefectureCode: string;
        municipalityCode: string;
        services: string[];
        acceptsReferrals: boolean;
      }> = {},
    ): Promise<OrgRow> {
      const name = o.name ?? `テスト機関 ${next()}`;
      const kind = o.kind ?? 'HELLO_WORK';
      const prefectureCode = o.prefectureCode ?? '13';
      const { rows } = await owner.query<{ id: string }>(
        `INSERT INTO organizations (name, kind, prefecture_code, municipality_code, services, accepts_referrals)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [name, kind, prefectureCode, o.municipalityCode ?? null, o.services ?? [], o.acceptsReferrals ?? true],
      );
      return { id: rows[0]!.id, name, kind, prefectureCode };
    },

    async user(
      o: Partial<{
        email: string;
        displayName: string;
        password: string | null;
        operator: boolean;
        oidcSubject: string;
      }> = {},
    ) {
      const email = o.email ?? `user-${next()}@example.jp`;
      const hash = o.password === null ? null : await hashOf(o.password ?? PASSWORD);
      const { rows } = await owner.query<{ id: string }>(
        `INSERT INTO users (email, display_name, password_hash, is_operator, oidc_subject) VALUES ($1, $2, $3, $4, $5)
         RETURNING id`,
        [email, o.displayName ?? `利用者 ${next()}`, hash, o.operator ?? false, o.oidcSubject ?? null],
      );
      return { id: rows[0]!.id, email, password: o.password ?? PASSWORD };
    },

    async membership(
      orgId: string,
      userId: string,
      roles: Role[],
      o: Partial<{ termEndsOn: string; ended: boolean }> = {},
    ) {
      const { rows } = await owner.query<{ id: string }>(
        `INSERT INTO memberships (org_id, user_id, roles, term_ends_on, ended_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [orgId, userId, roles, o.termEndsOn ?? null, o.ended ? new Date() : null],
      );
      return { id: rows[0]!.id };
    },

    /** A user with one membership: the common case. */
    async member(orgId: string, roles: Role[], o: Partial<{ email: string; termEndsOn: string }> = {}) {
      const user = await this.user({ email: o.email });
      const m = await this.membership(orgId, user.id, roles, { termEndsOn: o.termEndsOn });
      return { ...user, membershipId: m.id, orgId };
    },

    uuid: () => randomUUID(),
  };
}
export type Factories = ReturnType<typeof factories>;
