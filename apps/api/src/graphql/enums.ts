import { registerEnumType } from '@nestjs/graphql';
import {
  CASE_PHASE_LABELS,
  CASE_STATUS_LABELS,
  CONSENT_GRANTOR_LABELS,
  CONSENT_METHOD_LABELS,
  CONSENT_PURPOSE_LABELS,
  CONSENT_STATUS_LABELS,
  DATA_CATEGORY_LABELS,
  DECLINE_CODE_LABELS,
  DISABILITY_CERTIFICATE_LABELS,
  EMPLOYMENT_TYPE_LABELS,
  EXPORT_STATUS_LABELS,
  FOLLOW_UP_METHOD_LABELS,
  FOLLOW_UP_MILESTONE_LABELS,
  FOLLOW_UP_STATUS_LABELS,
  HANDOVER_OVERDUE_LABELS,
  HANDOVER_REASON_LABELS,
  HANDOVER_STATUS_LABELS,
  ORGANIZATION_KIND_LABELS,
  PLACEMENT_ROUTE_LABELS,
  REFERRAL_DIRECTION_LABELS,
  REFERRAL_REASON_LABELS,
  REFERRAL_STATUS_LABELS,
  ROLE_LABELS,
  URGENCY_LABELS,
  WEBHOOK_DELIVERY_STATUS_LABELS,
  WEEKLY_HOURS_BAND_LABELS,
  WORK_DISCLOSURE_LABELS,
} from '@tasuki/domain';

/** GraphQL enums carry their Japanese labels as descriptions. */
function labelled<K extends string>(labels: Record<K, string>) {
  const values = Object.fromEntries(Object.keys(labels).map((k) => [k, k])) as Record<K, K>;
  const valuesMap = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { description: v as string }]));
  return { values, valuesMap };
}

function register<K extends string>(name: string, description: string, labels: Record<K, string>): Record<K, K> {
  const e = labelled(labels);
  registerEnumType(e.values as Record<string, string>, { name, description, valuesMap: e.valuesMap });
  return e.values;
}

export const OrganizationKindEnum = register('OrganizationKind', '機関種別', ORGANIZATION_KIND_LABELS);
export const RoleEnum = register('Role', '機関内のロール', ROLE_LABELS);
export const DataCategoryEnum = register('DataCategory', '情報の区分 (同意と秘匿の単位)', DATA_CATEGORY_LABELS);
export const ConsentPurposeEnum = register('ConsentPurpose', '同意の利用目的', CONSENT_PURPOSE_LABELS);
export const ConsentMethodEnum = register('ConsentMethod', '同意の取得方法', CONSENT_METHOD_LABELS);
export const ConsentStatusEnum = register('ConsentStatus', '同意の状態', CONSENT_STATUS_LABELS);
export const ConsentGrantorEnum = register('ConsentGrantor', '同意した人', CONSENT_GRANTOR_LABELS);
export const CaseStatusEnum = register('CaseStatus', 'ケースの状態', CASE_STATUS_LABELS);
export const CasePhaseEnum = register('CasePhase', '支援のフェーズ', CASE_PHASE_LABELS);
export const ReferralReasonEnum = register('ReferralReason', '紹介の理由', REFERRAL_REASON_LABELS);
export const ReferralStatusEnum = register('ReferralStatus', '紹介の状態', REFERRAL_STATUS_LABELS);
export const DeclineCodeEnum = register('DeclineCode', '紹介を辞退した理由', DECLINE_CODE_LABELS);
export const ReferralDirectionEnum = register('ReferralDirection', '紹介の向き', REFERRAL_DIRECTION_LABELS);
export const UrgencyEnum = register('Urgency', '緊急度', URGENCY_LABELS);
export const DisabilityCertificateEnum = register(
  'DisabilityCertificate',
  '障害者手帳の種類',
  DISABILITY_CERTIFICATE_LABELS,
);
export const WorkDisclosureEnum = register('WorkDisclosure', '職場への開示の希望', WORK_DISCLOSURE_LABELS);
export const PlacementRouteEnum = register(
  'PlacementRoute',
  '採用区分 (求人の種類と障害の開示)',
  PLACEMENT_ROUTE_LABELS,
);
export const WeeklyHoursBandEnum = register(
  'WeeklyHoursBand',
  '週の所定労働時間の区分 (障害者雇用率の算定区分)',
  WEEKLY_HOURS_BAND_LABELS,
);
export const EmploymentTypeEnum = register('EmploymentType', '雇用形態', EMPLOYMENT_TYPE_LABELS);
export const FollowUpMilestoneEnum = register(
  'FollowUpMilestone',
  '定着支援フォローアップの時期 (就職日から)',
  FOLLOW_UP_MILESTONE_LABELS,
);
export const FollowUpStatusEnum = register('FollowUpStatus', 'フォローアップの状態', FOLLOW_UP_STATUS_LABELS);
export const FollowUpMethodEnum = register('FollowUpMethod', 'フォローアップの実施方法', FOLLOW_UP_METHOD_LABELS);
export const HandoverReasonEnum = register('HandoverReason', '引継ぎの理由', HANDOVER_REASON_LABELS);
export const HandoverStatusEnum = register('HandoverStatus', '引継ぎの状態', HANDOVER_STATUS_LABELS);
export const HandoverOverdueEnum = register(
  'HandoverOverdue',
  'コーディネーターへの督促が必要な理由',
  HANDOVER_OVERDUE_LABELS,
);
export const ExportStatusEnum = register(
  'ExportStatus',
  '匿名加工データの作成の状態 (ダウンロード期限は expiresAt / expired)',
  EXPORT_STATUS_LABELS,
);
export const PackReferralDirectionEnum = register('PackReferralDirection', '引継ぎパックの紹介の向き', {
  OUTGOING: '送った紹介',
  INCOMING: '受けた紹介',
});
export const WebhookDeliveryStatusEnum = register(
  'WebhookDeliveryStatus',
  'Webhook 送信の状態',
  WEBHOOK_DELIVERY_STATUS_LABELS,
);
