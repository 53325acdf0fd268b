import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { POLICY_KEY } from '@tasuki/platform';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  lexicographicSortSchema,
  printSchema,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { AuthResolver } from '../../apps/api/src/auth/auth.resolver.js';
import { PolicyCoverage } from '../../apps/api/src/auth/policy-coverage.js';
import { SCHEMA_FILE } from '../../apps/api/src/graphql/graphql.options.js';
import { startTestApi, type TestApi } from '../harness/test-api.js';

const CONTRACT = join(process.cwd(), '..', 'shared', 'spec', 'api-contract.graphql');
/** Contract operations this build serves; each later feature adds its own. Checked field by field below. */
const SERVED_CONTRACT_OPERATIONS = [
  'Query.me',
  'Query.organizations',
  'Mutation.signIn',
  'Mutation.createOrganization',
  'Mutation.addMember',
  'Query.client',
  'Query.case',
  'Query.cases',
  'Query.referral',
  'Query.referrals',
  'Mutation.registerClient',
  'Mutation.addTimelineEntry',
  'Mutation.assignCase',
  'Mutation.closeCase',
  'Mutation.recordConsent',
  'Mutation.withdrawConsent',
  'Mutation.sendReferral',
  'Mutation.acceptReferral',
  'Mutation.declineReferral',
  'Mutation.cancelReferral',
  'Mutation.completeReferral',
  'Mutation.recordPlacement',
  'Query.handover',
  'Mutation.startHandover',
  'Mutation.writeHandoverNote',
  'Mutation.submitHandover',
  'Mutation.acknowledgeHandover',
  'Query.notifications',
  'Mutation.markNotificationRead',
  'Query.reportExport',
  'Mutation.requestAnonymizedExport',
];

describe('the served schema', () => {
  let api: TestApi;
  let served: GraphQLSchema;

  beforeAll(async () => {
    api = await startTestApi();
    served = api.app.get(GraphQLSchemaHost).schema;
  });
  afterAll(() => api.close());

  it('matches the committed schema file (UPDATE_SCHEMA=1 npm test -- schema rewrites it)', () => {
    const printed = `${printSchema(lexicographicSortSchema(served))}\n`;
    const file = join(process.cwd(), SCHEMA_FILE);
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, printed);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(printed);
  });

  it('declares a policy on every root Query, Mutation and Subscription field', () => {
    const coverage = api.app.get(PolicyCoverage);
    expect(served.getQueryType()).toBeTruthy();
    expect(coverage.missingPolicies()).toEqual([]);
  });

  it('would notice a root field without a policy', () => {
    const coverage = api.app.get(PolicyCoverage);
    const proto = AuthResolver.prototype as unknown as Record<string, () => unknown>;
    const saved = Reflect.getMetadata(POLICY_KEY, proto.me!);
    Reflect.deleteMetadata(POLICY_KEY, proto.me!);
    try {
      expect(coverage.missingPolicies()).toEqual(['Query.me']);
    } finally {
      Reflect.defineMetadata(POLICY_KEY, saved, proto.me!);
    }
  });

  describe('against the API contract', () => {
    const contractSdl = existsSync(CONTRACT) ? readFileSync(CONTRACT, 'utf8') : null;

    it('finds the contract beside the project (../shared/spec)', () => {
      expect(contractSdl).not.toBeNull();
    });

    it('serves the contract operations exactly as named, with the contract’s arguments and result types', () => {
      const contract = buildSchema(contractSdl!);
      for (const op of SERVED_CONTRACT_OPERATIONS) {
        const [root, field] = op.split('.') as ['Query' | 'Mutation', string];
        const want = (root === 'Query' ? contract.getQueryType() : contract.getMutationType())!.getFields()[field]!;
        const have = (root === 'Query' ? served.getQueryType() : served.getMutationType())!.getFields()[field];
        expect({ op, have: !!have }).toEqual({ op, have: true });
        expect({ op, type: String(have!.type) }).toEqual({ op, type: String(want.type) });
        for (const arg of want.args) {
          const a = have!.args.find((x) => x.name === arg.name);
          expect({ op, arg: arg.name, type: a && String(a.type) }).toEqual({
            op,
            arg: arg.name,
            type: String(arg.type),
          });
        }
        // Arguments the contract does not have must be optional.
        for (const a of have!.args.filter((x) => !want.args.some((w) => w.name === x.name))) {
          expect({ op, extra: a.name, type: String(a.type).endsWith('!') }).toEqual({ op, extra: a.name, type: false });
        }
      }
    });

    it('keeps every contract field and enum value of each type it serves, with the same type', () => {
      const contract = buildSchema(contractSdl!);
      const mismatches: string[] = [];
      for (const want of Object.values(contract.getTypeMap()) as GraphQLNamedType[]) {
        if (want.name.startsWith('__') || ['Query', 'Mutation'].includes(want.name)) continue;
        const have = served.getType(want.name);
        if (!have) continue; // a type of a feature not built yet
        if (isEnumType(want) && isEnumType(have)) {
          for (const v of want.getValues()) if (!have.getValue(v.name)) mismatches.push(`${want.name}.${v.name}`);
        } else if ((isObjectType(want) && isObjectType(have)) || (isInputObjectType(want) && isInputObjectType(have))) {
          const haveFields = have.getFields();
          for (const [name, field] of Object.entries(want.getFields())) {
            const h = haveFields[name];
            if (!h || String(h.type) !== String(field.type)) {
              mismatches.push(
                `${want.name}.${name}: want ${String(field.type)}, have ${h ? String(h.type) : 'nothing'}`,
              );
            }
          }
        } else if (want.constructor !== have.constructor) {
          mismatches.push(`${want.name}: kind differs`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  });
});
