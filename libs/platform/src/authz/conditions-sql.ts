import type { Action, AppAbility, SubjectName } from './ability.js';

/**
 * How each condition field of a subject reads in SQL: given the placeholder of the rule's value, a boolean
 * expression over the query's alias (e.g. `orgId: (p) => \`c.org_id = ${p}::uuid\``).
 */
export type ConditionColumns = Record<string, (placeholder: string) => string>;

/**
 * Turns the ability's rules for (action, subject) into one SQL boolean expression, appending the rules' values to
 * `params`. The rules are allow rules with equality conditions (what every policy writes), so the result is an OR
 * of ANDs; a rule without conditions is TRUE, no rule at all is FALSE. A condition the mapping does not know is a
 * programming error and throws: a list must never silently ignore part of a rule.
 */
export function abilityToSql(
  ability: AppAbility,
  action: Action,
  subject: Exclude<SubjectName, 'all'>,
  columns: ConditionColumns,
  params: unknown[],
): string {
  const rules = ability.rulesFor(action, subject);
  const alternatives: string[] = [];
  for (const rule of rules) {
    if (rule.inverted) throw new Error(`abilityToSql: inverted rules are not supported (${action} ${subject})`);
    const conditions = rule.conditions as Record<string, unknown> | undefined;
    if (!conditions || Object.keys(conditions).length === 0) return 'TRUE';
    const terms = Object.entries(conditions).map(([field, value]) => {
      const column = columns[field];
      if (!column) throw new Error(`abilityToSql: no SQL for ${subject}.${field}`);
      if (value === null || typeof value === 'object') {
        throw new Error(`abilityToSql: only equality conditions are supported (${subject}.${field})`);
      }
      params.push(value);
      return column(`$${params.length}`);
    });
    alternatives.push(`(${terms.join(' AND ')})`);
  }
  return alternatives.length ? `(${alternatives.join(' OR ')})` : 'FALSE';
}
