export const ORGANIZATION_KINDS = [
  'HELLO_WORK',
  'VOCATIONAL_CENTER',
  'WORK_LIFE_SUPPORT_CENTER',
  'DISEASE_SUPPORT_CENTER',
  'HOSPITAL',
  'TRANSITION_SERVICE',
  'CONTINUOUS_SERVICE',
  'RETENTION_SERVICE',
  'SELF_RELIANCE_OFFICE',
  'YOUTH_SUPPORT_STATION',
  'SOCIAL_WELFARE_COUNCIL',
  'OCCUPATIONAL_HEALTH_CENTER',
  'MUNICIPALITY',
  'NPO',
  'EMPLOYER',
  'OTHER',
] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

export const ORGANIZATION_KIND_LABELS: Record<OrganizationKind, string> = {
  HELLO_WORK: 'ハローワーク',
  VOCATIONAL_CENTER: '地域障害者職業センター',
  WORK_LIFE_SUPPORT_CENTER: '障害者就業・生活支援センター',
  DISEASE_SUPPORT_CENTER: '難病相談支援センター',
  HOSPITAL: '医療機関',
  TRANSITION_SERVICE: '就労移行支援',
  CONTINUOUS_SERVICE: '就労継続支援A/B',
  RETENTION_SERVICE: '就労定着支援',
  SELF_RELIANCE_OFFICE: '自立相談支援機関',
  YOUTH_SUPPORT_STATION: '地域若者サポートステーション',
  SOCIAL_WELFARE_COUNCIL: '社会福祉協議会',
  OCCUPATIONAL_HEALTH_CENTER: '産業保健総合支援センター',
  MUNICIPALITY: '市区町村',
  NPO: 'NPO法人',
  EMPLOYER: '企業',
  OTHER: 'その他',
};

/** The directory entry: what every signed-in member of any organization may read. Nothing else goes in it. */
export interface Organization {
  id: string;
  name: string;
  kind: OrganizationKind;
  prefectureCode: string;
  municipalityCode: string | null;
  services: string[];
  acceptsReferrals: boolean;
  contact: string | null;
}

export interface OrganizationRow {
  id: string;
  name: string;
  kind: OrganizationKind;
  prefecture_code: string;
  municipality_code: string | null;
  services: string[];
  accepts_referrals: boolean;
  contact: string | null;
}

export const ORGANIZATION_COLUMNS =
  'id, name, kind, prefecture_code, municipality_code, services, accepts_referrals, contact';

export function toOrganization(r: OrganizationRow): Organization {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    prefectureCode: r.prefecture_code,
    municipalityCode: r.municipality_code,
    services: r.services,
    acceptsReferrals: r.accepts_referrals,
    contact: r.contact,
  };
}

export interface OrganizationFilter {
  kind?: OrganizationKind | null;
  prefectureCode?: string | null;
  acceptsReferrals?: boolean | null;
  search?: string | null;
}

export interface CreateOrganizationInput {
  name: string;
  kind: OrganizationKind;
  prefectureCode: string;
  municipalityCode?: string | null;
  services?: string[] | null;
  acceptsReferrals?: boolean | null;
  contact?: string | null;
}
