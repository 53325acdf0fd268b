import type { PolicyRules } from '@tasuki/platform';

/** The directory is readable by every signed-in user; the operator adds organizations; ORG_ADMIN edits its own. */
export const organizationPolicy: PolicyRules = (actor, { can }) => {
  can('read', 'Organization');
  if (actor.isOperator) can('create', 'Organization');
  if (actor.orgId && actor.roles.includes('ORG_ADMIN')) can('update', 'Organization', { id: actor.orgId });
};
