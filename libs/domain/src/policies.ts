import { buildAbility, type Actor, type AppAbility, type PolicyRules } from '@tasuki/platform';
import { casePolicy } from './cases/case.policy.js';
import { notificationPolicy } from './notifications/notification.policy.js';
import { handoverPolicy } from './handovers/handover.policy.js';
import { memberPolicy } from './members/member.policy.js';
import { operationsPolicy } from './operations/operations.policy.js';
import { organizationPolicy } from './organizations/organization.policy.js';
import { placementPolicy } from './placements/placement.policy.js';
import { referralPolicy } from './referrals/referral.policy.js';
import { webhookPolicy } from './webhooks/webhook.policy.js';
import { reportExportPolicy } from './reporting/report-export.policy.js';

/** Every feature's CASL rules. A feature adds its `.policy.ts` here. */
export const POLICIES: readonly PolicyRules[] = [
  organizationPolicy,
  memberPolicy,
  casePolicy,
  referralPolicy,
  placementPolicy,
  handoverPolicy,
  notificationPolicy,
  operationsPolicy,
  webhookPolicy,
  reportExportPolicy,
];

export function abilityFor(actor: Actor): AppAbility {
  return buildAbility(actor, POLICIES);
}
