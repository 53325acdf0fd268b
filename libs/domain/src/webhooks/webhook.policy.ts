import type { PolicyRules } from '@tasuki/platform';

/** The organization's webhook (its URL, secret and deliveries): its ORG_ADMIN only. */
export const webhookPolicy: PolicyRules = (actor, { can }) => {
  if (actor.orgId && actor.roles.includes('ORG_ADMIN')) can(['read', 'update'], 'Webhook', { orgId: actor.orgId });
};
