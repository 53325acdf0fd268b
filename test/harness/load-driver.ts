import type pg from 'pg';
import { factories } from './factories.js';

/**
 * A mixed read/write load over GraphQL, as several users of several organizations at once, that remembers every
 * write the API acknowledged, so that a run can then prove none was lost. Used by the load benchmark, its CI-sized
 * test and the PostgreSQL restart test.
 */

export interface LoadActor {
  /** e.g. `o3-coordinator`: names the organization, so a row's org can be checked against its reader's. */
  name: string;
  token: string;
  orgId: string;
  /** Short organization key, written into every name the actor creates. */
  orgKey: string;
  /** An organization the actor may refer clients to (a consent naming it is recorded first). */
  partnerOrgId: string;
  /** Cases the actor reaches from the start (read, and written to with timeline entries). */
  caseIds: string[];
}

export type WriteKind = 'timeline' | 'client' | 'consent' | 'referral' | 'placement' | 'followUp';

/** One write the API acknowledged: its result id and what the driver wrote. */
export interface Ack {
  kind: WriteKind;
  id: string;
  actor: LoadActor;
  caseId: string;
  /** The text the driver wrote (timeline summary, client given name, placement employer, follow-up note). */
  content?: string;
}

export interface LoadOptions {
  url: string;
  actors: LoadActor[];
  /** How long to run; or, with `requests`, until each connection has sent its share (the CI test: no timing). */
  seconds: number;
  requests?: number;
  connections: number;
  seed: number;
  /** Per-request timeout: a request that takes longer counts as a hang. */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. a forwarded address for per-IP limits). */
  headers?: Record<string, string>;
}

export interface RequestRecord {
  op: string;
  start: number;
  ms: number;
  /** `ok`, an `extensions.code`, `HTTP <status>`, `TIMEOUT` or `NETWORK`. */
  outcome: string;
  message?: string;
}

export interface LoadResult {
  requests: RequestRecord[];
  acks: Ack[];
  /** Rows returned to an actor whose org key is not the actor's: must stay empty. */
  foreignRows: string[];
  seconds: number;
}

/**
 * Lets an in-process API keep idle client connections open longer than the client (fetch closes them after 4 s):
 * else, on a starved event loop, the server may close a socket just as fetch reuses it, and a request that never
 * reached the API fails with ECONNRESET — a fault of the test's client, not of the service.
 */
export function outlastClientKeepAlive(server: { keepAliveTimeout: number }): void {
  server.keepAliveTimeout = 60_000;
}

/** mulberry32: a small seeded PRNG, so a run's choice of operations repeats with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CASES = `query { cases(first: 20) { nodes { id client { id familyName givenName } } } }`;
const CLIENT = `query($id: ID!) { client(id: $id) { id familyName givenName } }`;
const TIMELINE = `query($id: ID!) { case(id: $id) { id client { familyName } timeline(first: 20) { nodes { id summary } } } }`;
const ADD_ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id summary } }`;
const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id givenName } } }`;
const CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id status } }`;
const PLACE = `mutation($input: PlacementInput!) { recordPlacement(input: $input) { id followUps { id status } } }`;
const FOLLOW_UP = `mutation($id: ID!, $input: FollowUpInput!) { recordFollowUp(id: $id, input: $input) { id status } }`;

/** The family name of every client an actor of org `key` registers: a row's org is legible from its name. */
export const familyNameOf = (orgKey: string) => `負荷${orgKey}`;

export interface GqlAnswer {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  actor: Pick<LoadActor, 'token' | 'orgId'>,
  o: { timeoutMs?: number; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GqlAnswer> {
  const signal = o.signal ?? AbortSignal.timeout(o.timeoutMs ?? 30_000);
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${actor.token}`,
      'x-organization-id': actor.orgId,
      ...o.headers,
    },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: res.status, errors: [{ message: text.slice(0, 200) }] };
  }
}

/** What a connection created itself: only it moves these cases along (no two connections race on one case). */
interface OwnCase {
  id: string;
  clientId: string;
  actor: LoadActor;
  referred: boolean;
  followUps?: string[];
}

/**
 * Runs `connections` loops for `seconds`, each sending one request at a time: 70 % reads (case list, client,
 * timeline), 30 % writes (timeline entry, client and case, consent then referral, placement then follow-up).
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const requests: RequestRecord[] = [];
  const acks: Ack[] = [];
  const foreignRows: string[] = [];
  const t0 = Date.now();
  const until = t0 + o.seconds * 1000;
  let serial = 0;

  async function send(op: string, actor: LoadActor, query: string, variables: Record<string, unknown> = {}) {
    const start = Date.now();
    const rec: RequestRecord = { op, start: start - t0, ms: 0, outcome: 'ok' };
    let answer: GqlAnswer | undefined;
    try {
      answer = await gql(o.url, query, variables, actor, { timeoutMs: o.timeoutMs, headers: o.headers });
      const err = answer.errors?.[0];
      if (err) {
        rec.outcome = err.extensions?.code ?? `HTTP ${answer.status}`;
        rec.message = err.message;
      } else if (answer.status !== 200) rec.outcome = `HTTP ${answer.status}`;
    } catch (err) {
      const name = (err as Error).name;
      rec.outcome = name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'NETWORK';
      rec.message = (err as Error).message;
    }
    rec.ms = Date.now() - start;
    requests.push(rec);
    return rec.outcome === 'ok' ? answer!.data! : undefined;
  }

  /** Every client name in an answer must carry the reader's org key. */
  const checkOrg = (actor: LoadActor, names: (string | null | undefined)[]) => {
    for (const n of names) if (n && n !== familyNameOf(actor.orgKey)) foreignRows.push(`${actor.name} saw ${n}`);
  };

  async function loop(index: number) {
    const random = prng(o.seed * 1000 + index);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const own: OwnCase[] = [];
    const readable = (a: LoadActor) => [...a.caseIds, ...own.filter((c) => c.actor === a).map((c) => c.id)];
    // With a request count, each connection's share: its PRNG then decides the whole run, whatever the timing.
    const share = o.requests === undefined ? Infinity : Math.ceil(o.requests / o.connections);
    let sent = 0;
    const sendHere: typeof send = (...args) => {
      sent++;
      return send(...args);
    };
    const more = () => (o.requests === undefined ? Date.now() < until : sent < share);
    while (more()) {
      const actor = pick(o.actors);
      const r = random();
      const tag = `${actor.orgKey}-${index}-${serial++}`;
      if (r < 0.25) {
        const d = await sendHere('cases', actor, CASES);
        checkOrg(actor, d?.cases.nodes.map((n: any) => n.client.familyName) ?? []);
      } else if (r < 0.45) {
        const caseId = pick(readable(actor));
        const d = await sendHere('timeline', actor, TIMELINE, { id: caseId });
        checkOrg(actor, [d?.case?.client.familyName]);
      } else if (r < 0.7) {
        const mine = own.filter((c) => c.actor === actor);
        if (!mine.length) continue;
        const d = await sendHere('client', actor, CLIENT, { id: pick(mine).clientId });
        checkOrg(actor, [d?.client?.familyName]);
      } else if (r < 0.82) {
        const caseId = pick(readable(actor));
        const summary = `負荷試験の記録 ${tag}`;
        const d = await sendHere('addTimelineEntry', actor, ADD_ENTRY, { input: { caseId, kind: 'NOTE', summary } });
        if (d) acks.push({ kind: 'timeline', id: d.addTimelineEntry.id, actor, caseId, content: summary });
      } else if (r < 0.9) {
        const input = {
          familyName: familyNameOf(actor.orgKey),
          givenName: tag,
          birthDate: '1980-04-01',
          prefectureCode: '13',
        };
        const d = await sendHere('registerClient', actor, REGISTER, { input });
        if (d) {
          const c = { id: d.registerClient.id, clientId: d.registerClient.client.id, actor, referred: false };
          own.push(c);
          acks.push({ kind: 'client', id: c.clientId, actor, caseId: c.id, content: tag });
        }
      } else if (r < 0.95) {
        const c = own.find((x) => x.actor === actor && !x.referred);
        if (!c) continue;
        c.referred = true; // one attempt per case, whatever its outcome: a retry could meet its own first try
        const consent = await sendHere('recordConsent', actor, CONSENT, {
          input: {
            clientId: c.clientId,
            recipientOrganizationIds: [actor.partnerOrgId],
            purposes: ['REFERRAL'],
            categories: ['IDENTITY'],
            method: 'WRITTEN',
            expiresAt: new Date(Date.now() + 90 * 86400_000).toISOString(),
          },
        });
        if (!consent) continue;
        acks.push({ kind: 'consent', id: consent.recordConsent.id, actor, caseId: c.id });
        const d = await sendHere('sendReferral', actor, SEND, {
          input: {
            caseId: c.id,
            toOrganizationId: actor.partnerOrgId,
            reason: 'MEDICAL',
            sharedCategories: ['IDENTITY'],
          },
        });
        if (d) acks.push({ kind: 'referral', id: d.sendReferral.id, actor, caseId: c.id });
      } else {
        const c = own.find((x) => x.actor === actor && (!x.followUps || x.followUps.length));
        if (!c) continue;
        if (!c.followUps) {
          c.followUps = []; // one placement attempt per case
          const employer = `株式会社${tag}`;
          const d = await sendHere('recordPlacement', actor, PLACE, {
            input: {
              caseId: c.id,
              employerName: employer,
              startDate: new Date(Date.now() - 20 * 86400_000).toISOString().slice(0, 10),
              route: 'GENERAL_CLOSED',
              weeklyHoursBand: 'FROM_20_UNDER_30',
            },
          });
          if (d) {
            c.followUps = d.recordPlacement.followUps
              .filter((f: any) => f.status === 'SCHEDULED')
              .map((f: any) => f.id as string);
            acks.push({ kind: 'placement', id: c.id, actor, caseId: c.id, content: employer });
          }
        } else {
          const id = c.followUps.shift()!;
          const note = `フォローアップ ${tag}`;
          const d = await sendHere('recordFollowUp', actor, FOLLOW_UP, { id, input: { method: 'PHONE', note } });
          if (d) acks.push({ kind: 'followUp', id, actor, caseId: c.id, content: note });
        }
      }
    }
  }

  await Promise.all(Array.from({ length: o.connections }, (_, i) => loop(i)));
  return { requests, acks, foreignRows, seconds: (Date.now() - t0) / 1000 };
}

/** Latency percentile (ms) of successful requests. */
export function percentile(records: RequestRecord[], p: number): number {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  if (!ms.length) return 0;
  return ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!;
}

/** Counts by outcome (`ok` and each error code). */
export function outcomes(records: RequestRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

/**
 * Every acknowledged write, looked for afterwards through the API (as its author) and in the database (as the
 * owner). Returns the writes that were not found, with where they were missed.
 */
export async function findLostWrites(url: string, owner: pg.Pool, acks: Ack[]): Promise<string[]> {
  const lost: string[] = [];
  const ids = (kind: WriteKind) => acks.filter((a) => a.kind === kind).map((a) => a.id);
  const inDb = async (kind: WriteKind, sql: string) => {
    const { rows } = await owner.query<{ id: string; content: string | null }>(sql, [ids(kind)]);
    const found = new Map(rows.map((r) => [r.id, r.content]));
    for (const a of acks.filter((x) => x.kind === kind)) {
      if (!found.has(a.id)) lost.push(`${kind} ${a.id}: not in the database`);
      else if (a.content !== undefined && found.get(a.id) !== a.content) lost.push(`${kind} ${a.id}: content differs`);
    }
  };
  await inDb('timeline', `SELECT id::text, summary AS content FROM timeline_entries WHERE id = ANY ($1::uuid[])`);
  await inDb('client', `SELECT id::text, given_name AS content FROM clients WHERE id = ANY ($1::uuid[])`);
  await inDb('consent', `SELECT id::text, NULL AS content FROM consent_grants WHERE id = ANY ($1::uuid[])`);
  await inDb('referral', `SELECT id::text, NULL AS content FROM referrals WHERE id = ANY ($1::uuid[])`);
  await inDb(
    'placement',
    `SELECT case_id::text AS id, employer_name AS content FROM placements WHERE case_id = ANY ($1::uuid[])`,
  );
  await inDb(
    'followUp',
    `SELECT id::text, note AS content FROM follow_ups WHERE id = ANY ($1::uuid[]) AND status = 'DONE'`,
  );

  // Through the API: one request per case (its timeline, follow-ups, placements) and per client and referral.
  const byCase = new Map<string, Ack[]>();
  for (const a of acks) byCase.set(a.caseId, [...(byCase.get(a.caseId) ?? []), a]);
  const tasks: (() => Promise<void>)[] = [];
  for (const [caseId, list] of byCase) {
    tasks.push(async () => {
      const actor = list[0]!.actor;
      const entries = new Map<string, string>();
      let after: string | null = null;
      let c: any;
      do {
        const d: GqlAnswer = await gql(
          url,
          `query($id: ID!, $after: String) { case(id: $id) { id client { id givenName }
             followUps { id status } placements { employerName }
             timeline(first: 100, after: $after) { nodes { id summary } pageInfo { hasNextPage endCursor } } } }`,
          { id: caseId, after },
          actor,
        );
        c = d.data?.case;
        if (!c) {
          lost.push(`case ${caseId}: not readable by ${actor.name} (${d.errors?.[0]?.message ?? 'null'})`);
          return;
        }
        for (const n of c.timeline.nodes) entries.set(n.id, n.summary);
        after = c.timeline.pageInfo.hasNextPage ? c.timeline.pageInfo.endCursor : null;
      } while (after);
      for (const a of list) {
        const missing = (why: string) => lost.push(`${a.kind} ${a.id}: ${why} through the API`);
        if (a.kind === 'timeline' && entries.get(a.id) !== a.content) missing('not in the timeline');
        if (a.kind === 'client' && c.client.givenName !== a.content) missing('client name differs');
        if (a.kind === 'placement' && !c.placements.some((p: any) => p.employerName === a.content)) missing('absent');
        if (a.kind === 'followUp' && !c.followUps.some((f: any) => f.id === a.id && f.status === 'DONE')) {
          missing('not recorded');
        }
      }
    });
  }
  for (const a of acks.filter((x) => x.kind === 'referral')) {
    tasks.push(async () => {
      const d = await gql(url, `query($id: ID!) { referral(id: $id) { id } }`, { id: a.id }, a.actor);
      if (d.data?.referral?.id !== a.id) lost.push(`referral ${a.id}: not found through the API`);
    });
  }
  // Eight at a time.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let t = tasks.shift(); t; t = tasks.shift()) await t();
    }),
  );
  return lost;
}

/**
 * The load's cast, written as the owner: `orgs` organizations (each with a partner it refers to), a coordinator and
 * a supporter in each, and `casesPerActor` clients each actor registered through the API (so supporters are
 * assigned to theirs).
 */
export async function seedLoadActors(
  url: string,
  owner: pg.Pool,
  issue: (userId: string) => Promise<string>,
  o: { orgs: number; casesPerActor?: number },
): Promise<LoadActor[]> {
  const f = factories(owner);
  const orgs = [];
  for (let i = 0; i < o.orgs; i++)
    orgs.push({ key: `o${i}`, ...(await f.organization({ name: `負荷試験機関 o${i}` })) });
  const actors: LoadActor[] = [];
  for (const [i, org] of orgs.entries()) {
    for (const role of ['COORDINATOR', 'SUPPORTER'] as const) {
      const m = await f.member(org.id, [role]);
      const actor: LoadActor = {
        name: `${org.key}-${role.toLowerCase()}`,
        token: await issue(m.id),
        orgId: org.id,
        orgKey: org.key,
        partnerOrgId: orgs[(i + 1) % orgs.length]!.id,
        caseIds: [],
      };
      for (let n = 0; n < (o.casesPerActor ?? 3); n++) {
        const input = {
          familyName: familyNameOf(org.key),
          givenName: `seed-${actor.name}-${n}`,
          birthDate: '1975-10-10',
          prefectureCode: '13',
        };
        const d = await gql(url, REGISTER, { input }, actor);
        if (!d.data) throw new Error(`seeding: ${JSON.stringify(d.errors)}`);
        actor.caseIds.push(d.data.registerClient.id);
      }
      actors.push(actor);
    }
  }
  return actors;
}
