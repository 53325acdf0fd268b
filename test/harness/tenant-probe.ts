import type { GraphQLSchema } from 'graphql';
import {
  buildArgs,
  operationText,
  probeFields,
  prng,
  servedSchema,
  type IdSlot,
  type ProbeField,
  type Rng,
} from './probe-schema.js';
import { checksum, PROBE_ROLES, type Pool, type ProbeRole, type ProbeWorld } from './probe-world.js';
import type { TestApi } from './test-api.js';

/**
 * The randomized cross-tenant probe: operations generated from the served schema for every root field that names an
 * object by id, sent as each prober of organization A with the id of an object of another organization (B, C, D), an
 * object of A the prober may not reach, an object whose client withdrew consent, or a random id. Each is checked:
 *
 * - no response contains a secret of the prober's (B's and C's ids, names, kana, phones, e-mails, the 乙機密 texts;
 *   the withdrawn clients' profile; A's clients the role may not see);
 * - the answer for an object elsewhere is identical to the answer for a random id sent right after it (same data,
 *   same error code and message, the id replaced), so existence elsewhere cannot be told;
 * - no answer is an internal error;
 * - after each mutation, the rows of B, C and D are unchanged (checksum as the owner).
 */

export type Category = 'elsewhere' | 'unreachable' | 'withdrawn' | 'random';
/** Directory entries are public: an organization's existence may show, and A may refer to it or add it to a consent. */
const PUBLIC_KINDS = new Set(['Organization']);
const MALFORMED = [
  '',
  'not-an-id',
  '0',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export interface Finding {
  what: 'LEAK' | 'DISTINGUISHABLE' | 'CHANGED' | 'INTERNAL_ERROR';
  role: ProbeRole;
  category: Category;
  kind: string;
  detail: string;
  operation: string;
  variables: Record<string, unknown>;
}

export interface ProbeReport {
  seed: number;
  operations: number;
  requests: number;
  seconds: number;
  /** Every root field with an id slot, and how many operations each got. */
  perField: Record<string, number>;
  perRole: Record<string, number>;
  perCategory: Record<string, number>;
  /** The answers to operations on an object elsewhere: the first error's code, or DATA when none. */
  answers: Record<string, number>;
  /** Root fields with an id slot that no operation reached (must be empty). */
  unprobed: string[];
  /** Root fields with an id slot whose answers were compared with a random id's at least once. */
  compared: Set<string>;
  findings: Finding[];
}

export interface Planned {
  role: ProbeRole;
  pf: ProbeField;
  slot: IdSlot;
  category: Category;
}

export interface ProbeOptions {
  seed: number;
  count: number;
  /** Checksum the guarded organizations after every mutation (exact culprit), else only at the end. */
  checksumEach?: boolean;
  progress?: (done: number, total: number) => void;
}

const pickFrom = (pool: Pool | undefined, kind: string): string[] =>
  !pool ? [] : kind === 'Unknown' ? Object.values(pool).flat() : (pool[kind] ?? []);

/** Sets `value` at `path` in a copy of `args` (through the one-element lists buildArgs makes). */
function setAt(args: Record<string, unknown>, path: string[], value: string): Record<string, unknown> {
  const copy = structuredClone(args);
  let node: any = copy;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (Array.isArray(node)) node = node[0];
    if (i === path.length - 1) node[key] = Array.isArray(node[key]) ? [value] : value;
    else node = node[key];
  }
  return copy;
}

export function formatFinding(f: Finding): string {
  return [
    `${f.what} — ${f.role} with ${f.category} ${f.kind}: ${f.detail}`,
    `  operation: ${f.operation}`,
    `  variables: ${JSON.stringify(f.variables)}`,
  ].join('\n');
}

/** One operation sent and judged: what it was, and the answer's text. */
export interface Probed {
  role: ProbeRole;
  category: Category;
  kind: string;
  operation: string;
  variables: Record<string, unknown>;
  findings: Finding[];
}

/**
 * Sends one generated operation with `target` in the planned slot and judges the answer: secrets, internal errors,
 * and (for an object elsewhere or out of reach) the same answer as for a random id asked right after.
 */
export async function probeOnce(
  api: TestApi,
  world: ProbeWorld,
  rng: Rng,
  p: Planned,
  target: string,
): Promise<Probed & { requests: number; code: string }> {
  let requests = 0;
  const send = async (query: string, variables: Record<string, unknown>) => {
    requests++;
    const r = await api.post(
      { query, variables },
      { authorization: `Bearer ${world.token[p.role]}`, 'x-organization-id': world.org.A },
    );
    return JSON.stringify(r.body);
  };
  const variables = buildArgs(p.pf, p.slot.path, target, rng, (kind) => {
    const own = pickFrom(world.own, kind);
    return own.length ? rng.pick(own) : undefined;
  });
  const operation = operationText(p.pf, variables);
  const body = await send(operation, variables);
  const out: Probed = { role: p.role, category: p.category, kind: p.slot.kind, operation, variables, findings: [] };
  const finding = (what: Finding['what'], detail: string) => out.findings.push({ ...out, what, detail });

  // Secrets: any id of the role's secret set (other than the ids the operation itself sent), any secret text.
  const sent = new Set((JSON.stringify(variables).match(UUID) ?? []).map((s) => s.toLowerCase()));
  const leakedIds = [...new Set((body.match(UUID) ?? []).map((s) => s.toLowerCase()))].filter(
    (id) => world.secretIds[p.role].has(id) && !sent.has(id),
  );
  const leakedTexts = world.secretTexts[p.role].filter((t) => body.includes(t));
  if (leakedIds.length || leakedTexts.length) {
    finding('LEAK', `the answer contains ${[...leakedIds, ...leakedTexts].join(', ')}: ${body.slice(0, 600)}`);
  }
  if (body.includes('INTERNAL_SERVER_ERROR')) finding('INTERNAL_ERROR', body.slice(0, 600));

  if ((p.category === 'elsewhere' || p.category === 'unreachable') && !PUBLIC_KINDS.has(p.slot.kind)) {
    const twin = rng.uuid();
    const twinBody = await send(operation, setAt(variables, p.slot.path, twin));
    const norm = (s: string, id: string) => s.split(id).join('<id>');
    if (norm(body, target) !== norm(twinBody, twin)) {
      finding(
        'DISTINGUISHABLE',
        `the answer for the object: ${body.slice(0, 500)}\n  the answer for a random id: ${twinBody.slice(0, 500)}`,
      );
    }
  }
  const code = (JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
  return { ...out, requests, code: code ?? 'DATA' };
}

/** Root fields whose every id slot names a public kind: there is nothing to compare with a random id. */
export const comparable = (pf: ProbeField) => pf.slots.some((s) => !PUBLIC_KINDS.has(s.kind));

export async function runTenantProbe(api: TestApi, world: ProbeWorld, opts: ProbeOptions): Promise<ProbeReport> {
  const started = performance.now();
  const schema: GraphQLSchema = await servedSchema(api);
  const fields = probeFields(schema);
  const rng = prng(opts.seed);
  const report: ProbeReport = {
    seed: opts.seed,
    operations: 0,
    requests: 0,
    seconds: 0,
    perField: Object.fromEntries(fields.map((f) => [`${f.operation}.${f.name}`, 0])),
    perRole: {},
    perCategory: {},
    answers: {},
    unprobed: [],
    compared: new Set(),
    findings: [],
  };

  // First every (field, slot, role) once with an object elsewhere, so that no resolver escapes, and once with each
  // object of A out of the role's reach and each withdrawn one of the slot's kind; then at random.
  const plan: Planned[] = [];
  for (const pf of fields) {
    for (const slot of pf.slots) {
      for (const role of PROBE_ROLES) {
        plan.push({ role, pf, slot, category: 'elsewhere' });
        if (pickFrom(world.unreachable[role], slot.kind).length) plan.push({ role, pf, slot, category: 'unreachable' });
        if (pickFrom(world.withdrawn, slot.kind).length) plan.push({ role, pf, slot, category: 'withdrawn' });
      }
    }
  }
  while (plan.length < opts.count) {
    const pf = rng.pick(fields);
    const r = rng.next();
    const category: Category = r < 0.5 ? 'elsewhere' : r < 0.75 ? 'unreachable' : r < 0.85 ? 'withdrawn' : 'random';
    plan.push({ role: rng.pick(PROBE_ROLES), pf, slot: rng.pick(pf.slots), category });
  }

  const before = await checksum(api.db.owner, world.guarded, world.org.A);
  let last = before;
  for (const [n, planned] of plan.entries()) {
    const candidates =
      planned.category === 'random'
        ? []
        : pickFrom(
            planned.category === 'unreachable' ? world.unreachable[planned.role] : world[planned.category],
            planned.slot.kind,
          );
    const p: Planned = { ...planned, category: candidates.length ? planned.category : 'random' };
    const target = candidates.length ? rng.pick(candidates) : rng.chance(0.15) ? rng.pick(MALFORMED) : rng.uuid();
    const probed = await probeOnce(api, world, rng, p, target);
    const key = `${p.pf.operation}.${p.pf.name}`;
    report.operations++;
    report.requests += probed.requests;
    report.perField[key]!++;
    report.perRole[p.role] = (report.perRole[p.role] ?? 0) + 1;
    report.perCategory[p.category] = (report.perCategory[p.category] ?? 0) + 1;
    if (probed.requests > 1) report.compared.add(key);
    if (p.category === 'elsewhere') report.answers[probed.code] = (report.answers[probed.code] ?? 0) + 1;
    report.findings.push(...probed.findings);
    if (p.pf.operation === 'mutation' && opts.checksumEach) {
      const now = await checksum(api.db.owner, world.guarded, world.org.A);
      const changed = Object.keys(now).filter((t) => now[t] !== last[t]);
      if (changed.length) {
        report.findings.push({
          ...probed,
          what: 'CHANGED',
          detail: `rows of B, C or D changed in ${changed.join(', ')}`,
        });
      }
      last = now;
    }
    opts.progress?.(n + 1, plan.length);
  }

  const after = await checksum(api.db.owner, world.guarded, world.org.A);
  const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
  if (changed.length && !report.findings.some((f) => f.what === 'CHANGED')) {
    report.findings.push({
      what: 'CHANGED',
      role: 'aCoordinator',
      category: 'elsewhere',
      kind: '-',
      detail: `rows of B, C or D changed during the run in ${changed.join(', ')} (rerun with --each for the culprit)`,
      operation: '-',
      variables: {},
    });
  }
  report.unprobed = Object.entries(report.perField)
    .filter(([, n]) => n === 0)
    .map(([k]) => k);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The figures, for the log and the docs. */
export function summarize(r: ProbeReport, tables: number): string {
  return [
    `cross-tenant probe: seed ${r.seed}, ${r.operations} operations (${r.requests} requests) over ${Object.keys(r.perField).length} root fields with an id, ${r.seconds.toFixed(1)} s`,
    `  by role: ${Object.entries(r.perRole)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  by target: ${Object.entries(r.perCategory)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  answers for objects elsewhere: ${Object.entries(r.answers)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  rows of B, C, D checksummed in ${tables} tables; findings: ${r.findings.length}`,
  ].join('\n');
}

/** The probe's API: introspection on (it reads the served schema), and room for its whole-type selections. */
export const PROBE_API_ENV = {
  GRAPHQL_INTROSPECTION: 'true',
  GRAPHQL_MAX_COST: '1000000',
  GRAPHQL_MAX_TOKENS: '100000',
};
