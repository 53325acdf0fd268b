import type { Role } from '@tasuki/platform';
import type { Organization, OrganizationRow } from '../organizations/organization.model.js';
import { toOrganization } from '../organizations/organization.model.js';

export const ROLE_LABELS: Record<Role, string> = {
  ORG_ADMIN: '機関管理者',
  COORDINATOR: 'コーディネーター',
  SUPPORTER: '支援者',
  ANALYST: '分析担当',
};

export interface UserView {
  id: string;
  displayName: string;
  email: string;
}

export interface MembershipView {
  id: string;
  roles: Role[];
  termEndsOn: string | null;
  user: UserView;
  organization: Organization;
}

export interface AddMemberInput {
  email: string;
  displayName: string;
  roles: Role[];
  password?: string | null;
  termEndsOn?: string | null;
}

/**
 * A membership is in force while it has not ended and its term (任期満了日, a date in Japan) has not passed.
 * Used in SQL as `${ACTIVE_MEMBERSHIP('m')}`.
 */
export const ACTIVE_MEMBERSHIP = (alias: string) =>
  `${alias}.ended_at IS NULL AND (${alias}.term_ends_on IS NULL OR ${alias}.term_ends_on >= (now() AT TIME ZONE 'Asia/Tokyo')::date)`;

/** One query's worth of columns for MembershipView: membership m, user u, organization o. */
export const MEMBERSHIP_VIEW_SQL = `
  SELECT m.id, m.roles, to_char(m.term_ends_on, 'YYYY-MM-DD') AS term_ends_on,
         u.id AS user_id, u.display_name, u.email,
         o.id AS org_id, o.name AS org_name, o.kind, o.prefecture_code, o.municipality_code, o.services,
         o.accepts_referrals, o.contact
    FROM memberships m
    JOIN users u ON u.id = m.user_id
    JOIN organizations o ON o.id = m.org_id`;

export interface MembershipViewRow {
  id: string;
  roles: Role[];
  term_ends_on: string | null;
  user_id: string;
  display_name: string;
  email: string;
  org_id: string;
  org_name: string;
  kind: OrganizationRow['kind'];
  prefecture_code: string;
  municipality_code: string | null;
  services: string[];
  accepts_referrals: boolean;
  contact: string | null;
}

export function toMembershipView(r: MembershipViewRow): MembershipView {
  return {
    id: r.id,
    roles: r.roles,
    termEndsOn: r.term_ends_on,
    user: { id: r.user_id, displayName: r.display_name, email: r.email },
    organization: toOrganization({ ...r, id: r.org_id, name: r.org_name }),
  };
}
