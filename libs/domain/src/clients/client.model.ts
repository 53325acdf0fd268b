/** The data categories consent and redaction work on (PRODUCT.md §2). */
export const DATA_CATEGORIES = ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT', 'NOTES'] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];
export const DATA_CATEGORY_LABELS: Record<DataCategory, string> = {
  IDENTITY: '本人特定情報 (氏名・生年月日・性別)',
  CONTACT: '連絡先 (電話・メール・住所)',
  HEALTH: '健康情報 (指定難病・手帳など。要配慮個人情報)',
  EMPLOYMENT: '就労情報 (開示の希望・配慮事項など)',
  NOTES: '支援記録の本文',
};

export const DISABILITY_CERTIFICATES = ['NONE', 'PHYSICAL', 'REHABILITATION', 'MENTAL'] as const;
export type DisabilityCertificate = (typeof DISABILITY_CERTIFICATES)[number];
export const DISABILITY_CERTIFICATE_LABELS: Record<DisabilityCertificate, string> = {
  NONE: 'なし',
  PHYSICAL: '身体障害者手帳',
  REHABILITATION: '療育手帳',
  MENTAL: '精神障害者保健福祉手帳',
};

export const WORK_DISCLOSURES = ['OPEN', 'CLOSED', 'PARTIAL', 'UNDECIDED'] as const;
export type WorkDisclosure = (typeof WORK_DISCLOSURES)[number];
export const WORK_DISCLOSURE_LABELS: Record<WorkDisclosure, string> = {
  OPEN: 'オープン (開示して就労)',
  CLOSED: 'クローズ (非開示で就労)',
  PARTIAL: '一部開示',
  UNDECIDED: '未定',
};

export const SEXES = ['FEMALE', 'MALE', 'OTHER', 'UNANSWERED'] as const;
export type Sex = (typeof SEXES)[number];

/** Every personal field of a client (GraphQL names), with the category it belongs to and its column. */
export const CLIENT_FIELDS = {
  familyName: { category: 'IDENTITY', column: 'family_name' },
  givenName: { category: 'IDENTITY', column: 'given_name' },
  familyNameKana: { category: 'IDENTITY', column: 'family_name_kana' },
  givenNameKana: { category: 'IDENTITY', column: 'given_name_kana' },
  birthDate: { category: 'IDENTITY', column: 'birth_date' },
  sex: { category: 'IDENTITY', column: 'sex' },
  prefectureCode: { category: 'CONTACT', column: 'prefecture_code' },
  municipalityCode: { category: 'CONTACT', column: 'municipality_code' },
  phone: { category: 'CONTACT', column: 'phone' },
  email: { category: 'CONTACT', column: 'email' },
  designatedDiseaseNumbers: { category: 'HEALTH', column: 'designated_disease_numbers' },
  disabilityCertificate: { category: 'HEALTH', column: 'disability_certificate' },
  disclosure: { category: 'EMPLOYMENT', column: 'disclosure' },
} as const satisfies Record<string, { category: DataCategory; column: string }>;
export type ClientField = keyof typeof CLIENT_FIELDS;
export const CLIENT_FIELD_NAMES = Object.keys(CLIENT_FIELDS) as ClientField[];

export const isClientField = (name: string): name is ClientField => Object.hasOwn(CLIENT_FIELDS, name);

/** A client as one caller may see it: fields outside the visible categories are null and named in redactedFields. */
export interface ClientView {
  id: string;
  /** Whether the acting organization registered the client. */
  owned: boolean;
  familyName: string | null;
  givenName: string | null;
  familyNameKana: string | null;
  givenNameKana: string | null;
  birthDate: string | null;
  sex: Sex | null;
  prefectureCode: string | null;
  municipalityCode: string | null;
  phone: string | null;
  email: string | null;
  designatedDiseaseNumbers: number[] | null;
  disabilityCertificate: DisabilityCertificate | null;
  disclosure: WorkDisclosure | null;
  visibleCategories: DataCategory[];
  redactedFields: ClientField[];
}

export interface ClientProfileRow {
  id: string;
  org_id: string;
  visible_categories: DataCategory[];
  family_name: string | null;
  given_name: string | null;
  family_name_kana: string | null;
  given_name_kana: string | null;
  birth_date: string | null;
  sex: Sex | null;
  prefecture_code: string | null;
  municipality_code: string | null;
  phone: string | null;
  email: string | null;
  designated_disease_numbers: number[] | null;
  disability_certificate: DisabilityCertificate | null;
  disclosure: WorkDisclosure | null;
}

/** The masked profile, read from the client_profiles view (never from the clients table). */
export const CLIENT_PROFILE_SQL = `
  SELECT id, org_id, visible_categories, family_name, given_name, family_name_kana, given_name_kana,
         to_char(birth_date, 'YYYY-MM-DD') AS birth_date, sex, prefecture_code, municipality_code, phone, email,
         designated_disease_numbers, disability_certificate, disclosure
    FROM client_profiles`;

export function toClientView(row: ClientProfileRow, actingOrgId: string | null): ClientView {
  const visible = row.visible_categories;
  return {
    id: row.id,
    owned: row.org_id === actingOrgId,
    familyName: row.family_name,
    givenName: row.given_name,
    familyNameKana: row.family_name_kana,
    givenNameKana: row.given_name_kana,
    birthDate: row.birth_date,
    sex: row.sex,
    prefectureCode: row.prefecture_code,
    municipalityCode: row.municipality_code,
    phone: row.phone,
    email: row.email,
    designatedDiseaseNumbers: row.designated_disease_numbers,
    disabilityCertificate: row.disability_certificate,
    disclosure: row.disclosure,
    visibleCategories: visible,
    redactedFields: CLIENT_FIELD_NAMES.filter((f) => !visible.includes(CLIENT_FIELDS[f].category)),
  };
}

/** A client the caller can name (through its own case or a referral) but may read nothing of. */
export function redactedClient(id: string): ClientView {
  return toClientView(
    {
      id,
      org_id: '',
      visible_categories: [],
      family_name: null,
      given_name: null,
      family_name_kana: null,
      given_name_kana: null,
      birth_date: null,
      sex: null,
      prefecture_code: null,
      municipality_code: null,
      phone: null,
      email: null,
      designated_disease_numbers: null,
      disability_certificate: null,
      disclosure: null,
    },
    null,
  );
}

export interface RegisterClientInput {
  familyName: string;
  givenName: string;
  familyNameKana?: string | null;
  givenNameKana?: string | null;
  birthDate: string;
  sex?: string | null;
  prefectureCode: string;
  municipalityCode?: string | null;
  phone?: string | null;
  email?: string | null;
  designatedDiseaseNumbers?: number[] | null;
  disabilityCertificate?: DisabilityCertificate | null;
  disclosure?: WorkDisclosure | null;
}

/** One request for a client's profile: the fields the caller's query selected (for the audit of the read). */
export interface ClientRead {
  id: string;
  fields: readonly string[];
}
