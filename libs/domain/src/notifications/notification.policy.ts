import type { PolicyRules } from '@tasuki/platform';

/** Every member reads and marks their own notifications in the organization they act for (RLS: user and org). */
export const notificationPolicy: PolicyRules = (actor, { can }) => {
  if (!actor.orgId) return;
  can(['read', 'update'], 'Notification', { orgId: actor.orgId, userId: actor.userId });
};
