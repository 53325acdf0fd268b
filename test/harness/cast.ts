import { expect } from '@jest/globals';
import type { TestApi } from './test-api.js';

export type Data = Record<string, any>;

/**
 * A story's cast: people named after their organization and role ("hwSupporter" acts for `orgs.hw`), each with a
 * token. `run` sends an operation as one of them; `ok` also expects it to succeed and returns its data.
 */
export function cast(api: () => TestApi, tokens: Record<string, string>, orgs: Record<string, string>) {
  const run = async (who: string, query: string, variables: Record<string, unknown> = {}) =>
    api().gql<Data>(query, variables, { token: tokens[who]!, org: orgs[who.replace(/[A-Z].*$/, '')] });
  const ok = async (who: string, query: string, variables: Record<string, unknown> = {}) => {
    const r = await run(who, query, variables);
    expect(r.errors).toBeUndefined();
    return r.data!;
  };
  return { run, ok };
}
