import { registerEnumType } from '@nestjs/graphql';
import { ORGANIZATION_KIND_LABELS, ROLE_LABELS } from '@tasuki/domain';

/** GraphQL enums carry their Japanese labels as descriptions. */
function labelled<K extends string>(labels: Record<K, string>) {
  const values = Object.fromEntries(Object.keys(labels).map((k) => [k, k])) as Record<K, K>;
  const valuesMap = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { description: v as string }]));
  return { values, valuesMap };
}

const kinds = labelled(ORGANIZATION_KIND_LABELS);
export const OrganizationKindEnum = kinds.values;
registerEnumType(OrganizationKindEnum, {
  name: 'OrganizationKind',
  description: '機関種別',
  valuesMap: kinds.valuesMap,
});

const roles = labelled(ROLE_LABELS);
export const RoleEnum = roles.values;
registerEnumType(RoleEnum, { name: 'Role', description: '機関内のロール', valuesMap: roles.valuesMap });
