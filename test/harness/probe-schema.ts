import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  GraphQLList,
  GraphQLNonNull,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import type { TestApi } from './test-api.js';

/**
 * The cross-tenant probe's view of the SERVED schema: which root fields name an object by id (an `ID` argument, or an
 * `ID` field anywhere inside an input argument), what kind of object each id names, and how to fill every other
 * argument with a valid value of its type, so that in a generated operation the id is what decides.
 */

/** A seeded PRNG (mulberry32): the same seed gives the same operations. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const hex = (n: number) => Array.from({ length: n }, () => int(16).toString(16)).join('');
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    /** A version-4 UUID from the seeded stream (never one the database made). */
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(4)]}${hex(3)}-${hex(12)}`,
  };
}
export type Rng = ReturnType<typeof prng>;

/** The schema the running API serves, read by introspection over HTTP (as any client would). */
export async function servedSchema(api: TestApi): Promise<GraphQLSchema> {
  const r = await api.post({ query: getIntrospectionQuery() });
  const body = r.body as { data?: IntrospectionQuery; errors?: unknown };
  if (!body.data) throw new Error(`introspection failed (${r.status}): ${JSON.stringify(body.errors)}`);
  return buildClientSchema(body.data);
}

/** One place an id goes: `path` from the argument name down through input fields; `kind` is the object type named. */
export interface IdSlot {
  path: string[];
  kind: string;
  /** The id itself is a list element (`[ID!]`). */
  list: boolean;
}

export interface ProbeField {
  operation: 'query' | 'mutation';
  name: string;
  field: GraphQLField<unknown, unknown>;
  slots: IdSlot[];
}

/** Names of id arguments that are not an object type's name followed by Id. */
const KIND_ALIASES: Record<string, string> = { Assignee: 'User', Entry: 'TimelineEntry' };

/**
 * The object type an id argument names: `id` names the field's own return type (`acceptReferral(id)` a Referral);
 * `xxxId`/`xxxIds` the longest tail of `xxx` that is an object type (`toOrganizationId` an Organization,
 * `correctsEntryId` a TimelineEntry through an alias). 'Unknown' when none: the probe then tries every kind.
 */
export function idKind(schema: GraphQLSchema, name: string, returnType: string): string {
  if (name === 'id' || name === 'ids') return returnType;
  const words = name.replace(/Ids?$/, '').split(/(?=[A-Z])/);
  for (let i = 0; i < words.length; i++) {
    const candidate = words
      .slice(i)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
    if (KIND_ALIASES[candidate]) return KIND_ALIASES[candidate];
    if (isObjectType(schema.getType(candidate))) return candidate;
  }
  return 'Unknown';
}

function unwrapInput(type: GraphQLInputType): { named: GraphQLInputType; list: boolean } {
  let t = type;
  let list = false;
  for (;;) {
    if (isNonNullType(t)) t = t.ofType as GraphQLInputType;
    else if (isListType(t)) {
      list = true;
      t = t.ofType as GraphQLInputType;
    } else return { named: t, list };
  }
}

/** Every root query and mutation field with at least one id slot, each with all its slots. */
export function probeFields(schema: GraphQLSchema): ProbeField[] {
  const out: ProbeField[] = [];
  for (const [operation, root] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const returnType = getNamedType(field.type).name;
      const slots: IdSlot[] = [];
      const walk = (type: GraphQLInputType, path: string[], seen: Set<string>) => {
        const { named, list } = unwrapInput(type);
        const name = path[path.length - 1]!;
        if (getNamedType(named).name === 'ID') {
          slots.push({ path, kind: idKind(schema, name, path.length === 1 ? returnType : 'Unknown'), list });
        } else if (isInputObjectType(named) && !seen.has(named.name)) {
          for (const f of Object.values(named.getFields())) {
            walk(f.type, [...path, f.name], new Set([...seen, named.name]));
          }
        }
      };
      for (const arg of field.args) walk(arg.type, [arg.name], new Set());
      if (slots.length > 0) out.push({ operation, name: field.name, field, slots });
    }
  }
  return out;
}

const DAY = 86400_000;
const isoDate = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

/**
 * Valid values by argument name, for strings and dates whose validity the type alone does not say. Anything not
 * named here gets a value from its type, so a new argument is still filled (perhaps refused as input, which the
 * probe also accepts: a refusal must look the same whoever owns the id).
 */
function hinted(name: string, named: string, rng: Rng): unknown {
  const lower = name.toLowerCase();
  if (named === 'String') {
    if (lower === 'kind') return rng.pick(['NOTE', 'CONSULTATION']);
    if (lower === 'route') return rng.pick(['DISABILITY_VACANCY', 'GENERAL_OPEN', 'GENERAL_CLOSED']);
    if (lower === 'weeklyhoursband') return rng.pick(['UNDER_10', 'FROM_10_UNDER_20', 'FROM_20_UNDER_30', 'FROM_30']);
    if (lower === 'prefecturecode') return '13';
    if (lower === 'municipalitycode') return '131016';
    if (lower === 'sex') return 'FEMALE';
    if (lower === 'url') return 'https://hooks.example.jp/probe';
    if (lower === 'secret') return 'probe-secret-0123456789abcdef0123456789';
    if (lower === 'email') return `probe-${rng.int(1e9)}@example.jp`;
    if (lower === 'password') return 'probe horse battery staple';
    if (lower.includes('phone')) return '03-0000-0000';
    if (lower.includes('name')) return '探査 太郎';
    return rng.pick(['確認のため', '支援方針の変更', '本人の希望による', '定着支援の記録']);
  }
  if (named === 'Int') {
    if (lower === 'first') return 10;
    if (lower === 'k') return 5;
    if (lower.includes('disease')) return 13;
    return 1 + rng.int(30);
  }
  if (named === 'Date') {
    if (/^(effectiveon|respondby|termendson|dueon)$/.test(lower)) return isoDate(1 + rng.int(20));
    if (lower === 'birthdate') return '1990-04-01';
    return isoDate(-1 - rng.int(30));
  }
  if (named === 'DateTime') {
    if (lower.startsWith('expires')) return new Date(Date.now() + 90 * DAY).toISOString();
    return new Date(Date.now() - (1 + rng.int(48)) * 3600_000).toISOString();
  }
  if (named === 'Boolean') return rng.chance(0.5);
  if (named === 'Float') return rng.int(100) / 10;
  return undefined;
}

/** Supplies the ids of the other slots: an object of the acting organization of that kind (or none). */
export type Fill = (kind: string) => string | undefined;

/**
 * The arguments of one operation: `target` in the slot at `targetPath`, every other required argument (and some
 * optional ones, at random) filled from its type and name, other id slots from `fill`.
 */
export function buildArgs(
  pf: ProbeField,
  targetPath: string[],
  target: string,
  rng: Rng,
  fill: Fill,
): Record<string, unknown> {
  const onTarget = (path: string[]) => path.every((p, i) => targetPath[i] === p);
  const value = (type: GraphQLInputType, path: string[], seen: Set<string>): unknown => {
    const name = path[path.length - 1]!;
    const required = isNonNullType(type);
    const inner = (required ? (type as GraphQLNonNull<GraphQLInputType>).ofType : type) as GraphQLInputType;
    if (isListType(inner)) {
      const element = value((inner as GraphQLList<GraphQLInputType>).ofType, path, seen);
      return element === undefined ? (required ? [] : undefined) : [element];
    }
    if (getNamedType(inner).name === 'ID') {
      if (onTarget(path) && path.length === targetPath.length) return target;
      const slot = pf.slots.find((s) => s.path.join('.') === path.join('.'));
      return fill(slot?.kind ?? 'Unknown') ?? (required ? rng.uuid() : undefined);
    }
    if (isEnumType(inner)) return rng.pick(inner.getValues()).name;
    if (isInputObjectType(inner)) {
      if (seen.has(inner.name)) return undefined;
      const obj: Record<string, unknown> = {};
      for (const f of Object.values(inner.getFields())) {
        const p = [...path, f.name];
        if (!isNonNullType(f.type) && !onTarget(p) && !rng.chance(0.4)) continue;
        const v = value(f.type, p, new Set([...seen, inner.name]));
        if (v !== undefined) obj[f.name] = v;
      }
      return obj;
    }
    return hinted(name, getNamedType(inner).name, rng);
  };
  const args: Record<string, unknown> = {};
  for (const arg of pf.field.args) {
    if (!isNonNullType(arg.type) && !onTarget([arg.name]) && !rng.chance(0.5)) continue;
    const v = value(arg.type, [arg.name], new Set());
    if (v !== undefined) args[arg.name] = v;
  }
  return args;
}

/**
 * Every field reachable from a return type, to `depth` levels of objects, never re-entering a type already on the
 * path (Case → client → consents → recipients, but not back to client): whatever the resolver lets out shows.
 */
export function selectionOf(type: GraphQLOutputType, depth = 4, path: string[] = []): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const parts: string[] = [];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type))) continue;
    const inner = getNamedType(f.type);
    if (isLeafType(inner)) parts.push(f.name);
    else if (depth > 1 && isObjectType(inner) && !path.includes(inner.name) && inner.name !== named.name) {
      const sub = selectionOf(f.type, depth - 1, [...path, named.name]);
      if (sub) parts.push(`${f.name} { ${sub} }`);
    }
  }
  return parts.join(' ');
}

/** The text of one operation over `args` (as variables), selecting everything `selectionOf` reaches. */
export function operationText(pf: ProbeField, args: Record<string, unknown>): string {
  const used = pf.field.args.filter((a) => a.name in args);
  const vars = used.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const call = used.map((a) => `${a.name}: $${a.name}`).join(', ');
  const sel = selectionOf(pf.field.type);
  return `${pf.operation} Probe${vars ? `(${vars})` : ''} { ${pf.name}${call ? `(${call})` : ''}${sel ? ` { ${sel} }` : ''} }`;
}
