import { buildAbility, type Actor, type AppAbility, type PolicyRules } from '@tasuki/platform';
import { memberPolicy } from './members/member.policy.js';
import { organizationPolicy } from './organizations/organization.policy.js';

/** Every feature's CASL rules. A feature adds its `.policy.ts` here. */
export const POLICIES: readonly PolicyRules[] = [organizationPolicy, memberPolicy];

export function abilityFor(actor: Actor): AppAbility {
  return buildAbility(actor, POLICIES);
}
