import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Generators of hostile GraphQL variables, built from the served schema's argument types: mostly plausible values
 * (so the input reaches the service's own validation), with hostile ones mixed in at every level: overlong strings,
 * control, bidirectional and zero-width characters, lone surrogates, NUL, odd normalisation, wrong types, null for
 * non-null, huge lists, boundary and invalid dates, invalid enum values and codes, and well-formed ids of nothing.
 */

export interface IdPool {
  /** Ids of objects that exist, by table (organizations, users, clients, cases, consent_grants, referrals, ...). */
  real: Record<string, string[]>;
}

/** Characters no name or note may carry (control characters other than tab/newline, bidi overrides, NUL). */
export const CONTROL_CHARS = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u001B', '\u007F', '\u0085', '\u009F'];
export const BIDI_CHARS = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
export const ZERO_WIDTH_CHARS = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u200E', '\u200F', '\u061C'];
export const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF'];
/** Oddly normalised Japanese: NFD kana (base + combining voiced mark), half-width katakana, full-width digits. */
export const ODD_JAPANESE = [
  'カ\u3099',
  'ハ\u309Aン',
  'ﾔﾏﾀﾞ ﾊﾅｺ',
  'ｶﾞｷﾞｸﾞ',
  '１３',
  '\u3000山田\u3000',
  '髙橋',
  '𠮷野',
];

const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** Any single UTF-16 code unit, lone surrogates included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

const insertAt = (base: string, bad: string, at: number) => {
  const i = base.length ? at % (base.length + 1) : 0;
  return base.slice(0, i) + bad + base.slice(i);
};

/** A hostile string, derived from a plausible one. */
export function hostileString(plausible: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const special = fc.constantFrom(...CONTROL_CHARS, ...BIDI_CHARS, ...ZERO_WIDTH_CHARS, ...LONE_SURROGATES, '\r\n');
  return weighted<string>(
    [4, fc.tuple(plausible, special, fc.nat()).map(([s, bad, at]) => insertAt(s, bad, at))],
    [
      1,
      fc
        .tuple(plausible, fc.constantFrom('\u0000', '\uD800', '\uDFFF'), fc.nat())
        .map(([s, bad, at]) => insertAt(s, bad, at)),
    ],
    [
      1,
      fc
        .array(fc.constantFrom(...ZERO_WIDTH_CHARS, ' ', '\u3000'), { minLength: 1, maxLength: 4 })
        .map((a) => a.join('')),
    ],
    [2, fc.constantFrom(...ODD_JAPANESE)],
    [
      1,
      fc.constantFrom('', ' ', '\t', '\u0000', "'; DROP TABLE clients; --", '%_\\', '{{7*7}}', '<script>', '\\u0000'),
    ],
    // overlong: 10k to 1M characters, ASCII or kana (3 bytes each in UTF-8)
    [
      1,
      fc
        .tuple(fc.constantFrom(10_000, 10_001, 65_536, 250_000, 1_000_000), fc.constantFrom('x', 'あ', '山'))
        .map(([n, c]) => c.repeat(n)),
    ],
    [2, fc.string({ unit: anyCodeUnit, maxLength: 40 })],
    [1, fc.string({ unit: 'binary', maxLength: 40 })],
  );
}

/** Wrong-typed JSON for any position. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant({ toString: 'x', __proto__: { polluted: true } }),
  fc.dictionary(fc.constantFrom('a', 'id', '$where'), fc.string(), { maxKeys: 2 }),
  fc.constant(null),
);

const FAMILY = ['山田', '佐藤', '髙橋', '渡邊', 'O’Brien', '李'];
const GIVEN = ['花子', '太郎', 'さくら', '翔', 'Анна'];
const KANA = ['ヤマダ', 'サトウ', 'ハナコ', 'タロウ', 'ヴァン・ゴッホ'];
const TEXT = ['面談を実施しました。', '本人の希望により終了。\n次回は未定。', '体調不良のため', 'テスト\tメモ', 'OK'];

/** A valid string for a field, from its name. */
function validString(name: string): fc.Arbitrary<string> {
  const n = name.toLowerCase();
  if (n.includes('email')) return fc.nat(9999).map((i) => `user${i}@example.jp`);
  if (n.includes('password')) return fc.constantFrom('correct horse battery staple', 'wrong password');
  if (n.includes('prefecture')) return fc.constant('13');
  if (n.includes('municipality')) return fc.constantFrom('131016', '131024');
  if (n.includes('phone')) return fc.constantFrom('03-1234-5678', '090-1234-5678', '+81312345678');
  if (n.includes('kana')) return fc.constantFrom(...KANA);
  if (n.includes('family')) return fc.constantFrom(...FAMILY);
  if (n.includes('given') || n.endsWith('name')) return fc.constantFrom(...GIVEN, ...FAMILY);
  if (n === 'url' || n.endsWith('url'))
    return fc.constantFrom('https://example.jp/hook', 'https://hooks.example.com/t');
  if (n === 'sex') return fc.constantFrom('FEMALE', 'MALE', 'OTHER', 'UNANSWERED');
  if (n.includes('secret')) return fc.constant('s'.repeat(32));
  if (n === 'after')
    return fc.constant('WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJd');
  return fc.constantFrom(...TEXT);
}

/** Invalid but well-typed strings for a field: wrong codes, formats and schemes. */
function edgeString(name: string): fc.Arbitrary<string> {
  const n = name.toLowerCase();
  if (n.includes('email'))
    return fc.constantFrom('no-at-sign', 'a@b', '@example.jp', 'a b@example.jp', `${'a'.repeat(250)}@x.jp`);
  if (n.includes('prefecture')) return fc.constantFrom('00', '48', '１３', '13 ', '1', '013', 'ab');
  if (n.includes('municipality')) return fc.constantFrom('131017', '13101', '481009', '１３１０１６', '011002');
  if (n.includes('phone')) return fc.constantFrom('０３１２３４５６７８', '123', '+1 555 0100', '03-1234-5678-9999');
  if (n.includes('kana')) return fc.constantFrom('ﾔﾏﾀﾞ', 'やまだ', 'Yamada', 'ヤマダ\u200B');
  if (n === 'url' || n.endsWith('url')) {
    return fc.constantFrom('http://127.0.0.1:1/x', 'javascript:alert(1)', 'ftp://x', 'https://', 'file:///etc/passwd');
  }
  if (n === 'sex') return fc.constantFrom('female', 'X', 'UNKNOWN');
  if (n.includes('secret')) return fc.constantFrom('short', '');
  if (n === 'after') return fc.constantFrom('not-a-cursor', '', 'WyJ4Il0', 'W10');
  return fc.constantFrom('', ' ', '\u3000');
}

const validDate = fc.oneof(
  fc.constantFrom('1990-01-01', '2000-02-29', '2028-02-29', '1960-12-31'),
  fc.integer({ min: -400, max: 400 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)),
);
const edgeDate = fc.constantFrom(
  '0000-01-01',
  '9999-12-31',
  '2026-02-29',
  '2026-13-01',
  '2026-2-1',
  '',
  '1990-01-01T00:00:00Z',
  '令和8年',
  19900101,
);

const validDateTime = fc
  .integer({ min: -400, max: 400 })
  .map((d) => new Date(Date.now() + d * 86_400_000).toISOString());
const edgeDateTime = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-02-29T00:00:00Z',
  '2026-01-01T00:00:00',
  '2026-01-01T24:00:00+09:00',
  '+275760-09-13T00:00:00Z',
  '2026-01-01T00:00:00+99:99',
  1_767_225_600_000,
);

function validInt(name: string): fc.Arbitrary<number> {
  const n = name.toLowerCase();
  if (n.includes('disease')) return fc.integer({ min: 1, max: 348 });
  if (n === 'first') return fc.integer({ min: 1, max: 200 });
  return fc.integer({ min: 0, max: 100 });
}
const edgeInt = fc.constantFrom(0, -1, 349, 9999, 10_000, 2_147_483_647, -2_147_483_648, 2 ** 31, 2 ** 53, 1.5, '1');

/** The table an id argument names, from its name or (for a bare `id`) the mutation's. */
function tableOf(name: string, mutation: string): string {
  const n = /^ids?$/.test(name) ? mutation : name;
  for (const [pattern, table] of ID_TABLES) if (pattern.test(n)) return table;
  return '*';
}
const ID_TABLES: [RegExp, string][] = [
  [/case/i, 'cases'],
  [/client/i, 'clients'],
  [/user|assignee|member/i, 'users'],
  [/organization/i, 'organizations'],
  [/referral/i, 'referrals'],
  [/handover/i, 'handovers'],
  [/consent/i, 'consent_grants'],
  [/notification/i, 'notifications'],
  [/followup/i, 'follow_ups'],
  [/separation|placement/i, 'placements'],
];

function idArb(c: GenContext, name: string): fc.Arbitrary<unknown> {
  const all = Object.values(c.pool.real).flat();
  const fitting = c.pool.real[tableOf(name, c.mutation)] ?? [];
  const real = fc.constantFrom(...(fitting.length ? fitting : all));
  const some = all[0]!;
  const hostile = weighted<unknown>(
    [3, fc.uuid()],
    [1, fc.constantFrom(...all)],
    [
      2,
      fc.constantFrom(
        '00000000-0000-0000-0000-000000000000',
        'not-a-uuid',
        '',
        '1',
        '00000000-0000-0000-0000-00000000000g',
        `${some}\u0000`,
        ` ${some} `,
        some.toUpperCase(),
        'x'.repeat(10_000),
      ),
    ],
    [1, fc.constantFrom(0, 2 ** 53, -1)],
  );
  return mix(c, real, hostile);
}

/** What a generator needs: the ids that exist, the mutation, and how often a leaf is hostile (0 to 1). */
export interface GenContext {
  pool: IdPool;
  mutation: string;
  hostility: number;
}

/** A plausible value most of the time and a hostile one with the context's probability. */
function mix<T>(c: GenContext, plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>): fc.Arbitrary<T> {
  const h = Math.round(c.hostility * 100);
  if (h <= 0) return plausible;
  return weighted<T>([100 - h, plausible], [h, hostile]);
}

/** Variables for one argument or input field, of the given type (depth bounds nested input objects). */
export function valueArb(type: GraphQLInputType, name: string, c: GenContext, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return mix(c, valueArb(type.ofType, name, c, depth), fc.constant(null));
  if (isListType(type)) {
    const item = valueArb(type.ofType, name, c, depth + 1);
    return mix(
      c,
      fc.array(item, { minLength: 1, maxLength: 3 }),
      fc.oneof(
        // 10,000 copies of a clean item: a hostile one could be a 1M-character string (a 10 GB request).
        valueArb(type.ofType, name, { ...c, hostility: 0 }, depth + 1).map((v) =>
          Array.from({ length: 10_000 }, () => v),
        ),
        fc.constant([]),
        item,
        wrongType,
      ),
    );
  }
  const named = getNamedType(type);
  if (isEnumType(named)) {
    const values = named.getValues().map((v) => v.name);
    return mix(
      c,
      fc.constantFrom(...values),
      fc.oneof(fc.constantFrom('INVALID', values[0]!.toLowerCase(), '', `${values[0]}\u0000`), wrongType),
    );
  }
  if (isInputObjectType(named)) {
    if (depth > 4) return fc.constant({});
    const fields = Object.values(named.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[f.name] = valueArb(f.type, f.name, c, depth + 1);
    const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
    const record = fc.record(model, { requiredKeys: required });
    return mix(
      c,
      record,
      fc.oneof(
        record.map((r) => ({ ...r, unknownField: 'x' })),
        fc.constant({}),
        wrongType,
      ),
    );
  }
  if (!isScalarType(named)) return fc.constant(null);
  return mix(c, plausibleScalar(named.name, name, c), fc.oneof(hostileScalar(named.name, name), wrongType));
}

function plausibleScalar(scalar: string, name: string, c: GenContext): fc.Arbitrary<unknown> {
  switch (scalar) {
    case 'ID':
      return idArb(c, name);
    case 'String':
      return validString(name);
    case 'Int':
      return validInt(name);
    case 'Float':
      return fc.double({ min: 0, max: 1000, noNaN: true });
    case 'Boolean':
      return fc.boolean();
    case 'Date':
      return validDate;
    case 'DateTime':
      return validDateTime;
    default:
      return fc.string();
  }
}

function hostileScalar(scalar: string, name: string): fc.Arbitrary<unknown> {
  switch (scalar) {
    case 'String':
      return fc.oneof(edgeString(name), hostileString(validString(name)));
    case 'Int':
      return edgeInt;
    case 'Float':
      return fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2, -1e-300);
    case 'Date':
      return edgeDate;
    case 'DateTime':
      return edgeDateTime;
    default:
      return fc.oneof(fc.string(), fc.integer());
  }
}

export interface FuzzOperation {
  field: string;
  query: string;
  variables: fc.Arbitrary<Record<string, unknown>>;
}

/** Per-leaf probabilities of a hostile value: a third of the runs clean, a third with a few bad leaves, a third hostile. */
const HOSTILITY = [0, 0.1, 0.5];

/**
 * One operation per mutation of the schema: `mutation($a: T!, …) { field(a: $a, …) { __typename } }`, with
 * generated variables (optional arguments sometimes left out).
 */
export function mutationOperations(schema: GraphQLSchema, pool: IdPool): FuzzOperation[] {
  const mutation = schema.getMutationType();
  if (!mutation) return [];
  return Object.values(mutation.getFields())
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((field) => operationFor(field, pool));
}

function operationFor(field: GraphQLField<unknown, unknown>, pool: IdPool): FuzzOperation {
  const args: readonly GraphQLArgument[] = field.args;
  const decl = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const use = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const query = `mutation Fuzz${decl ? `(${decl})` : ''} { ${field.name}${use ? `(${use})` : ''} { __typename } }`;
  const required = args.filter((a) => isNonNullType(a.type)).map((a) => a.name);
  const variants = HOSTILITY.map((hostility) => {
    const c: GenContext = { pool, mutation: field.name, hostility };
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const a of args) model[a.name] = valueArb(a.type, a.name, c);
    return fc.record(model, { requiredKeys: required });
  });
  return { field: field.name, query, variables: fc.oneof(...variants) };
}
