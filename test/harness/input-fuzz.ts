import fc from 'fast-check';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import type pg from 'pg';
import { japanDate } from '@tasuki/platform';
import { factories } from './factories.js';
import { mutationOperations, type FuzzOperation } from './hostile-input.js';
import type { GqlResult, TestApi } from './test-api.js';

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`;
const START = `mutation($input: StartHandoverInput!) { startHandover(input: $input) { id } }`;

/** Every code a refusal may carry: the API contract's (AppError) and GraphQL's own for requests it cannot run. */
export const TYPED_ERROR_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONSENT_REQUIRED',
  'INVALID_TRANSITION',
  'CONFLICT',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * What a stored text may never hold, whichever field it came from: control characters other than tab, newline and
 * carriage return, bidirectional overrides/isolates/marks, and U+FFFD (what a lone surrogate becomes in UTF-8).
 */
const NEVER_STORED = String.raw`[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\u061C\uFFFD]`;
/** What a single-line text (a name, a code, an address) may not hold either. */
const NOT_IN_A_LINE = String.raw`[\t\n\r\u200B\u2060\uFEFF]`;
/** A name made of nothing visible: white space and zero-width characters only. */
const INVISIBLE_ONLY = String.raw`^[[:space:]\u200B-\u200D\u2060\uFEFF\u3000]+$`;
/** Columns that hold multi-line free text (notes, reasons): tabs and newlines are allowed there. */
const MULTI_LINE =
  /note|body|reason|outcome|description|text|content|summary|comment|message|memo|detail|payload|error|contact/;

export interface FuzzTarget {
  operations: FuzzOperation[];
  /** Who sends the operations: a member holding every role of each organization, and the platform operator. */
  actors: {
    member: { token: string; org: string };
    recipient: { token: string; org: string };
    operator: { token: string };
  };
  checksum(): Promise<string>;
  /** Stored text that validation should have refused, as "table.column: sample" (empty when clean). */
  badText(): Promise<string[]>;
  /** What badText found already. */
  reported: Set<string>;
}

/**
 * The world the fuzzer acts in: two organizations, a client referable from one to the other (case, consent), a member
 * of the first holding every role, and an operator. Ids of what exists are what the id generator mostly picks.
 */
export async function prepareFuzzTarget(api: TestApi): Promise<FuzzTarget> {
  const f = factories(api.db.owner);
  const hw = (await f.organization({ name: 'ハローワーク渋谷', kind: 'HELLO_WORK' })).id;
  const centre = (await f.organization({ name: '東京都難病相談・支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id;
  const roles = ['ORG_ADMIN', 'COORDINATOR', 'SUPPORTER', 'ANALYST'] as const;
  const all = await f.member(hw, [...roles]);
  const recipient = await f.member(centre, [...roles]);
  const supporter = await f.member(hw, ['SUPPORTER']);
  const operator = await f.user({ operator: true });
  const as = async (userId: string, org: string) => ({ token: (await api.tokens.issue(userId)).token, org });
  const [member, other, bySupporter] = [
    await as(all.id, hw),
    await as(recipient.id, centre),
    await as(supporter.id, hw),
  ];
  // A client with a case, a consent to refer them to the centre, a referral, and a handover from the supporter: so
  // that the mutations on each have something to act on. (No jest here: `npm run fuzz` runs this outside it.)
  const must = async (who: typeof member, query: string, variables: Record<string, unknown>) => {
    const r = await api.gql(query, variables, who);
    if (r.errors) throw new Error(`fuzz set-up: ${JSON.stringify(r.errors)}`);
    return r.data as Record<string, { id: string; client?: { id: string } }>;
  };
  const registered = await must(bySupporter, REGISTER, {
    input: { familyName: '木村', givenName: '花', birthDate: '1990-01-01', prefectureCode: '13' },
  });
  await must(bySupporter, CONSENT, {
    input: {
      clientId: registered.registerClient!.client!.id,
      recipientOrganizationIds: [centre],
      purposes: ['REFERRAL'],
      categories: ['IDENTITY'],
      method: 'WRITTEN',
      expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
    },
  });
  await must(bySupporter, SEND, {
    input: {
      caseId: registered.registerClient!.id,
      toOrganizationId: centre,
      reason: 'BALANCE_SUPPORT',
      sharedCategories: ['IDENTITY'],
    },
  });
  await must(member, START, {
    input: { fromUserId: supporter.id, toUserId: all.id, reason: 'REASSIGNMENT', effectiveOn: japanDate() },
  });
  const intro = await api.gql<IntrospectionQuery>(getIntrospectionQuery());
  if (!intro.data) throw new Error(`introspection failed: ${JSON.stringify(intro.errors)}`);
  const schema = buildClientSchema(intro.data);
  const real = await existingIds(api.db.owner);
  return {
    operations: mutationOperations(schema, { real }),
    actors: {
      member,
      recipient: other,
      operator: { token: (await api.tokens.issue(operator.id)).token },
    },
    checksum: await checksumQuery(api.db.owner),
    badText: await badTextQuery(api.db.owner),
    reported: new Set(),
  };
}

async function publicTables(owner: pg.Pool): Promise<string[]> {
  const { rows } = await owner.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Up to three ids of every table that has a uuid `id`. */
async function existingIds(owner: pg.Pool): Promise<Record<string, string[]>> {
  const { rows: tables } = await owner.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'id' AND data_type = 'uuid' ORDER BY 1`,
  );
  const ids: Record<string, string[]> = {};
  for (const { name } of tables) {
    const { rows } = await owner.query<{ id: string }>(`SELECT id FROM ${name} LIMIT 3`);
    if (rows.length) ids[name] = rows.map((r) => r.id);
  }
  return ids;
}

/** A checksum of every row of every table, read as the owner (no row-level security in the way). */
async function checksumQuery(owner: pg.Pool): Promise<() => Promise<string>> {
  const parts = (await publicTables(owner)).map(
    (t) => `SELECT '${t}' AS t, md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) AS h FROM ${t} x`,
  );
  const sql = `SELECT md5(string_agg(t || h, ',' ORDER BY t)) AS sum FROM (${parts.join(' UNION ALL ')}) s`;
  return async () => (await owner.query<{ sum: string }>(sql)).rows[0]!.sum;
}

async function badTextQuery(owner: pg.Pool): Promise<() => Promise<string[]>> {
  const { rows } = await owner.query<{ t: string; c: string }>(
    `SELECT c.table_name AS t, c.column_name AS c FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying') ORDER BY 1, 2`,
  );
  const checks = rows.map(({ t, c }) => {
    const conditions = [`"${c}" ~ '${NEVER_STORED}'`];
    if (!MULTI_LINE.test(c)) conditions.push(`"${c}" ~ '${NOT_IN_A_LINE}'`);
    if (/name|kana/.test(c)) conditions.push(`"${c}" ~ '${INVISIBLE_ONLY}'`);
    return `(SELECT '${t}.${c}: ' || left("${c}", 60) AS bad FROM ${t} WHERE ${conditions.join(' OR ')} LIMIT 1)`;
  });
  const sql = checks.join(' UNION ALL ');
  return async () => (await owner.query<{ bad: string }>(sql)).rows.map((r) => JSON.stringify(r.bad));
}

export interface MutationReport {
  field: string;
  runs: number;
  successes: number;
  refusals: Record<string, number>;
  /** A few distinct refusal messages with their field, for tuning the generators (`FUZZ_VERBOSE=1`). */
  messages: Set<string>;
  /** The first failing case, shrunk when shrinking is on: what the property found wrong and the variables. */
  failure?: string;
}

type Actor = 'member' | 'recipient' | 'operator';

/** Why one response breaks the contract, or null when it keeps it. */
export async function judge(
  target: FuzzTarget,
  field: string,
  r: GqlResult,
  before: string,
  report: MutationReport,
): Promise<string | null> {
  if (r.status >= 500) return `HTTP ${r.status}`;
  const errors = r.errors ?? [];
  const untyped = errors.filter((e) => !TYPED_ERROR_CODES.has(e.extensions?.code ?? ''));
  if (untyped.length) return `untyped error: ${JSON.stringify(untyped[0])}`;
  const succeeded = errors.length === 0 && r.data?.[field] != null;
  if (!succeeded) {
    for (const e of errors) {
      report.refusals[e.extensions!.code!] = (report.refusals[e.extensions!.code!] ?? 0) + 1;
      if (report.messages.size < 12) report.messages.add(`${e.extensions?.field ?? ''} ${e.message.slice(0, 120)}`);
    }
    if (errors.length === 0) return `neither data nor errors: ${JSON.stringify(r)}`;
    if ((await target.checksum()) !== before) return `refused (${errors[0]!.extensions?.code}) but the tables changed`;
    return null;
  }
  report.successes++;
  // Only what is new: one finding is reported once, not again by every later success.
  const bad = (await target.badText()).filter((b) => !target.reported.has(b));
  for (const b of bad) target.reported.add(b);
  return bad.length ? `accepted and stored what validation should refuse: ${bad.join('; ')}` : null;
}

/** Short text of a value for a report: long strings are cut, odd characters escaped. */
export function describeValue(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'string' && v.length > 80
      ? `${v.slice(0, 40)}…(${v.length} chars)`
      : Array.isArray(v) && v.length > 10
        ? [...v.slice(0, 3), `…(${v.length} items)`]
        : v,
  ).replace(
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\uD800-\uDFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Runs each mutation `runs` times with generated variables (seeded: the same seed gives the same inputs), as a member
 * with every role or as the operator. A case fails on an HTTP 5xx, an error without one of the typed codes, a refusal
 * that changed a table, or a success that stored text validation should refuse.
 */
export async function fuzzMutations(
  api: TestApi,
  target: FuzzTarget,
  opts: {
    seed: number;
    runs: number;
    shrink?: boolean;
    only?: string[];
    verbose?: boolean;
    log?: (line: string) => void;
  },
): Promise<MutationReport[]> {
  const reports: MutationReport[] = [];
  const operations = target.operations.filter((o) => !opts.only?.length || opts.only.includes(o.field));
  for (const [i, op] of operations.entries()) {
    const report: MutationReport = { field: op.field, runs: 0, successes: 0, refusals: {}, messages: new Set() };
    const property = fc.asyncProperty(
      op.variables,
      fc.constantFrom<Actor>('member', 'member', 'recipient', 'operator'),
      async (variables, actor) => {
        report.runs++;
        const before = await target.checksum();
        const as = target.actors[actor];
        const r = await api.gql(op.query, variables, as);
        const why = await judge(target, op.field, r, before, report);
        if (why) throw new Error(`${why}\n  as ${actor}, variables ${describeValue(variables)}`);
      },
    );
    const details = await fc.check(property, {
      seed: opts.seed + i,
      numRuns: opts.runs,
      endOnFailure: !opts.shrink,
    });
    if (details.failed) {
      report.failure = `${(details.errorInstance as Error | undefined)?.message ?? 'failed'} (seed ${opts.seed + i}, path ${details.counterexamplePath})`;
    }
    opts.log?.(
      `${op.field}: ${report.runs} runs, ${report.successes} accepted, refused ${JSON.stringify(report.refusals)}${report.failure ? `\n  FAILED: ${report.failure}` : ''}` +
        (opts.verbose ? [...report.messages].map((m) => `\n    ${m}`).join('') : ''),
    );
    reports.push(report);
  }
  return reports;
}
