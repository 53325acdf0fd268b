import {
  AbilityBuilder,
  createMongoAbility,
  type ForcedSubject,
  type MongoAbility,
  type MongoQuery,
} from '@casl/ability';

export type Action =
  'manage' | 'read' | 'create' | 'update' | 'delete' | 'assign' | 'answer' | 'export' | 'acknowledge' | 'coordinate';
export type SubjectName =
  | 'Organization'
  | 'Membership'
  | 'User'
  | 'AuditEvent'
  | 'Client'
  | 'Case'
  | 'TimelineEntry'
  | 'ConsentGrant'
  | 'Referral'
  | 'Handover'
  | 'Placement'
  | 'Notification'
  | 'Webhook'
  | 'ReportExport'
  | 'JobQueue'
  | 'all';

export type Role = 'ORG_ADMIN' | 'COORDINATOR' | 'SUPPORTER' | 'ANALYST';
export const ROLES: readonly Role[] = ['ORG_ADMIN', 'COORDINATOR', 'SUPPORTER', 'ANALYST'];

/** Conditions are plain column-shaped objects (e.g. `{ orgId }`), so they can also be turned into SQL. */
export type Conditions = MongoQuery<Record<string, unknown>>;
export type AppAbility = MongoAbility<[Action, SubjectName | ForcedSubject<Exclude<SubjectName, 'all'>>], Conditions>;

/** What a policy writes into: allow rules only (deny is the default), with column-shaped conditions. */
export interface RuleSink {
  can(action: Action | Action[], subject: Exclude<SubjectName, 'all'>, conditions?: Record<string, unknown>): void;
}

/** Who the ability is built for: the signed-in user and the membership they act through (if any). */
export interface Actor {
  userId: string;
  isOperator: boolean;
  orgId: string | null;
  roles: readonly Role[];
}

/** A feature's CASL rules: each feature's `.policy.ts` exports one. Deny is the default. */
export type PolicyRules = (actor: Actor, rules: RuleSink) => void;

export function buildAbility(actor: Actor, policies: readonly PolicyRules[]): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  // CASL's builder types conditions per subject class; our subjects are names, so conditions are typed here instead.
  const allow = builder.can as unknown as (a: Action | Action[], s: SubjectName, c?: Record<string, unknown>) => void;
  const sink: RuleSink = { can: (action, subject, conditions) => allow(action, subject, conditions) };
  for (const rules of policies) rules(actor, sink);
  return builder.build();
}
