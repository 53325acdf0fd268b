import type { PolicyRules } from '@tasuki/platform';

/**
 * Handovers (PRODUCT.md §3): only the outgoing supporter or a coordinator writes one; only the successor
 * acknowledges it. A COORDINATOR runs the rotation: starts, reads and writes every handover of the organization and
 * `coordinate`s them (reassigns the successor, cancels, overrides a missing note, sees the rotation view). The
 * leaver reads and writes their own until the assignments move (they then no longer see those cases); the successor
 * reads the handovers addressed to them and acknowledges them.
 */
export const handoverPolicy: PolicyRules = (actor, { can }) => {
  if (!actor.orgId) return;
  const orgId = actor.orgId;
  const coordinator = actor.roles.includes('COORDINATOR');
  const supporter = actor.roles.includes('SUPPORTER');
  if (coordinator) can(['create', 'read', 'update', 'coordinate'], 'Handover', { orgId });
  if (coordinator || supporter) {
    can(['create', 'read', 'update'], 'Handover', { orgId, fromUserId: actor.userId, moved: false });
    can(['read', 'acknowledge'], 'Handover', { orgId, toUserId: actor.userId });
  }
};
