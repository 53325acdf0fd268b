import type { PolicyRules } from '@tasuki/platform';

/**
 * Anonymized exports are an ANALYST's: request one (`export`) and read the organization's exports (`read`). No other
 * role has them, and an ANALYST has no rule on any client, case or referral (PRODUCT.md: "never a client field").
 */
export const reportExportPolicy: PolicyRules = (actor, { can }) => {
  if (!actor.orgId || !actor.roles.includes('ANALYST')) return;
  can(['export', 'read'], 'ReportExport', { orgId: actor.orgId });
};
