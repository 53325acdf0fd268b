import type pg from 'pg';
import { factories } from './factories.js';
import type { TestApi } from './test-api.js';

/**
 * The world the cross-tenant probe attacks. Organization A (Hello Work) is the attacker's: its members in every role
 * (and a supporter with no case) probe. B (the disease support centre) and C (a hospital B refers to) have a full
 * life of their own that never touches A: clients, cases, consents, referrals, timeline entries, placements and
 * follow-ups, a handover with its note, notifications, an export, a webhook, members. D (a vocational centre) referred
 * two clients to A and the clients then withdrew their consent: X's referral was accepted (A keeps its case, X's
 * profile is gone), Y's was still SENT (cancelled). E (an NPO) is a neutral recipient for A's own referrals.
 *
 * Every free text of B, C and D carries the marker 乙機密; every client has distinctive names, kana, phone and
 * e-mail. A response to A containing any of them, or any id of B's or C's rows, is a leak.
 */

export const PROBE_ROLES = ['aSupporter', 'aCoordinator', 'aAdmin', 'aAnalyst', 'aIdle'] as const;
export type ProbeRole = (typeof PROBE_ROLES)[number];
export const SECRET_MARKERS = ['乙機密', 'otsu-kimitsu'];

interface Person {
  familyName: string;
  givenName: string;
  familyNameKana: string;
  givenNameKana: string;
  phone: string;
  email: string;
}
export const PEOPLE: Record<'A1' | 'A2' | 'B1' | 'B2' | 'X' | 'Y', Person> = {
  A1: {
    familyName: '安井',
    givenName: '一子',
    familyNameKana: 'ヤスイ',
    givenNameKana: 'イチコ',
    phone: '03-1111-0001',
    email: 'a1-probe@example.jp',
  },
  A2: {
    familyName: '有田',
    givenName: '二郎',
    familyNameKana: 'アリタ',
    givenNameKana: 'ジロウ',
    phone: '03-1111-0002',
    email: 'a2-probe@example.jp',
  },
  B1: {
    familyName: '別府',
    givenName: '秘子',
    familyNameKana: 'ベップ',
    givenNameKana: 'ヒメコ',
    phone: '06-2222-0001',
    email: 'b1-secret@example.jp',
  },
  B2: {
    familyName: '別所',
    givenName: '隠男',
    familyNameKana: 'ベッショ',
    givenNameKana: 'カクオ',
    phone: '06-2222-0002',
    email: 'b2-secret@example.jp',
  },
  X: {
    familyName: '撤田',
    givenName: '回子',
    familyNameKana: 'テツダ',
    givenNameKana: 'カイコ',
    phone: '011-333-0001',
    email: 'x-withdrawn@example.jp',
  },
  Y: {
    familyName: '取消',
    givenName: '由美',
    familyNameKana: 'トリケシ',
    givenNameKana: 'ユミ',
    phone: '011-333-0002',
    email: 'y-withdrawn@example.jp',
  },
};
const personal = (...who: (keyof typeof PEOPLE)[]) => who.flatMap((w) => Object.values(PEOPLE[w]));

/** Ids by object kind (GraphQL type name). */
export type Pool = Record<string, string[]>;

export interface ProbeWorld {
  org: Record<'A' | 'B' | 'C' | 'D' | 'E', string>;
  /** Token and user id of each prober. */
  token: Record<ProbeRole, string>;
  userId: Record<ProbeRole, string>;
  /** Objects of A to fill the other id slots with. */
  own: Pool;
  /** Objects of B, C and D that A must never reach, by kind. */
  elsewhere: Pool;
  /** Objects of A each role may not reach. */
  unreachable: Record<ProbeRole, Pool>;
  /** Objects A legitimately names but whose client's consent was withdrawn: reachable, never the client's profile. */
  withdrawn: Pool;
  /** What no response to the role may contain: ids (lower-case) and texts. */
  secretIds: Record<ProbeRole, Set<string>>;
  secretTexts: Record<ProbeRole, string[]>;
  /** The organizations whose rows must not change. */
  guarded: string[];
}

type Gql = (who: string, query: string, variables?: Record<string, unknown>) => Promise<Record<string, any>>;

const future = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();
const ALL_CATEGORIES = ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT', 'NOTES'];

const REGISTER = `mutation($input: RegisterClientInput!) { registerClient(input: $input) { id client { id } } }`;
const CONSENT = `mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id } }`;
const SEND = `mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }`;
const ACCEPT = `mutation($id: ID!, $a: ID) { acceptReferral(id: $id, assigneeId: $a) { id toCase { id } } }`;
const COMPLETE = `mutation($id: ID!) { completeReferral(id: $id, outcome: "支援を完了しました") { id } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawConsent(id: $id, reason: "本人の申し出") { id } }`;
const ENTRY = `mutation($input: AddTimelineEntryInput!) { addTimelineEntry(input: $input) { id } }`;
const PLACE = `mutation($input: PlacementInput!) { recordPlacement(input: $input) { placements { id } followUps { id } } }`;
const HANDOVER = `mutation($input: StartHandoverInput!) { startHandover(input: $input) { id } }`;
const NOTE = `mutation($h: ID!, $c: ID!, $input: HandoverNoteInput!) {
  writeHandoverNote(handoverId: $h, caseId: $c, input: $input) { version } }`;
const EXPORT = `mutation { requestAnonymizedExport { id } }`;
const WEBHOOK = `mutation { setWebhook(url: "https://otsu-kimitsu.example.jp/hook") { url } }`;

/** Builds the world through the API (as each organization's own staff would) and collects what the probe needs. */
export async function buildProbeWorld(api: TestApi): Promise<ProbeWorld> {
  const f = factories(api.db.owner);
  const org = {
    A: (await f.organization({ name: '探査ハローワーク', kind: 'HELLO_WORK' })).id,
    B: (await f.organization({ name: '相手の難病相談支援センター', kind: 'DISEASE_SUPPORT_CENTER' })).id,
    C: (await f.organization({ name: '相手の紹介先病院', kind: 'HOSPITAL' })).id,
    D: (await f.organization({ name: '撤回のあった職業センター', kind: 'VOCATIONAL_CENTER' })).id,
    E: (await f.organization({ name: '中立の就労支援NPO', kind: 'NPO' })).id,
  };
  const staff: [string, keyof typeof org, ('SUPPORTER' | 'COORDINATOR' | 'ORG_ADMIN' | 'ANALYST')[]][] = [
    ['aSupporter', 'A', ['SUPPORTER']],
    ['aOther', 'A', ['SUPPORTER']],
    ['aIdle', 'A', ['SUPPORTER']],
    ['aCoordinator', 'A', ['COORDINATOR']],
    ['aAdmin', 'A', ['ORG_ADMIN']],
    ['aAnalyst', 'A', ['ANALYST']],
    ['bSupporter', 'B', ['SUPPORTER']],
    ['bOther', 'B', ['SUPPORTER']],
    ['bCoordinator', 'B', ['COORDINATOR']],
    ['bAdmin', 'B', ['ORG_ADMIN']],
    ['bAnalyst', 'B', ['ANALYST']],
    ['cCoordinator', 'C', ['COORDINATOR']],
    ['dCoordinator', 'D', ['COORDINATOR']],
  ];
  const token: Record<string, string> = {};
  const userId: Record<string, string> = {};
  const orgOf: Record<string, string> = {};
  for (const [name, o, roles] of staff) {
    const m = await f.member(org[o], roles);
    userId[name] = m.id;
    orgOf[name] = org[o];
    token[name] = (await api.tokens.issue(m.id)).token;
  }
  const ok: Gql = async (who, query, variables = {}) => {
    const r = await api.gql<Record<string, any>>(query, variables, { token: token[who], org: orgOf[who] });
    if (r.errors?.length) throw new Error(`probe world: ${who}: ${JSON.stringify(r.errors)}\n${query}`);
    return r.data!;
  };

  const register = async (who: string, p: keyof typeof PEOPLE, extra: Record<string, unknown> = {}) => {
    const d = await ok(who, REGISTER, {
      input: { ...PEOPLE[p], birthDate: '1979-11-23', prefectureCode: '13', ...extra },
    });
    return { caseId: d.registerClient.id as string, clientId: d.registerClient.client.id as string };
  };
  const consent = async (who: string, clientId: string, recipients: string[], categories = ALL_CATEGORIES) =>
    (
      await ok(who, CONSENT, {
        input: {
          clientId,
          recipientOrganizationIds: recipients,
          purposes: ['REFERRAL', 'INFO_SHARING', 'STATISTICS'],
          categories,
          method: 'WRITTEN',
          evidenceRef: who.startsWith('a') ? '同意書 甲' : '同意書 乙機密',
          expiresAt: future(365),
        },
      })
    ).recordConsent.id as string;
  const send = async (who: string, caseId: string, to: string, shared: string[], message: string) =>
    (
      await ok(who, SEND, {
        input: { caseId, toOrganizationId: to, reason: 'ASSESSMENT', sharedCategories: shared, message },
      })
    ).sendReferral.id as string;
  const entry = async (who: string, caseId: string, text: string) =>
    (await ok(who, ENTRY, { input: { caseId, kind: 'NOTE', summary: text, body: `${text} 本文` } })).addTimelineEntry
      .id as string;
  const place = async (who: string, caseId: string, employer: string) => {
    const d = await ok(who, PLACE, {
      input: {
        caseId,
        employerName: employer,
        startDate: '2025-01-31',
        route: 'GENERAL_OPEN',
        weeklyHoursBand: 'FROM_30',
      },
    });
    return { placementId: d.recordPlacement.placements[0].id as string, followUpId: d.recordPlacement.followUps[0].id };
  };
  const notify = async (who: string, message: string) => {
    const { rows } = await api.db.owner.query<{ id: string }>(
      `INSERT INTO notifications (org_id, user_id, kind, message, dedupe_key) VALUES ($1, $2, 'PROBE', $3, $4)
       RETURNING id`,
      [orgOf[who], userId[who], message, `probe:${who}`],
    );
    return rows[0]!.id;
  };

  const handover = async (who: string, from: string, to: string, caseId: string, inDays: number) =>
    (
      await ok(who, HANDOVER, {
        input: {
          fromUserId: userId[from],
          toUserId: userId[to],
          reason: 'ROTATION',
          effectiveOn: future(inDays).slice(0, 10),
          caseIds: [caseId],
        },
      })
    ).startHandover.id as string;
  /** A client of A registered by `who`, with consent to E, a note and a placement: its objects by kind. */
  const caseWork = async (who: string, p: 'A1' | 'A2', text: string, extra: Record<string, unknown> = {}) => {
    const c = await register(who, p, extra);
    const consentId = await consent(who, c.clientId, [org.E]);
    const entryId = await entry(who, c.caseId, `${text}の記録`);
    const placed = await place(who, c.caseId, `${text}商事`);
    const pool: Pool = {
      Case: [c.caseId],
      Client: [c.clientId],
      ConsentGrant: [consentId],
      TimelineEntry: [entryId],
      Placement: [placed.placementId],
      FollowUp: [placed.followUpId],
    };
    return { ...c, pool };
  };

  // A: its supporter's client (referred to E, placed, handed over in draft), another supporter's client.
  const a1 = await caseWork('aSupporter', 'A1', '甲担当内', { designatedDiseaseNumbers: [13], disclosure: 'OPEN' });
  const a1Referral = await send('aSupporter', a1.caseId, org.E, ['IDENTITY'], '甲からの紹介');
  const a1Handover = await handover('aSupporter', 'aSupporter', 'aOther', a1.caseId, 30);
  const a2 = await caseWork('aOther', 'A2', '甲担当外');
  const aExport = (await ok('aAnalyst', EXPORT)).requestAnonymizedExport.id as string;
  const notification: Record<string, string> = {};
  for (const who of [...PROBE_ROLES, 'aOther']) notification[who] = await notify(who, `${who} への通知`);

  // B and C: a life of their own.
  const b1 = await register('bSupporter', 'B1', {
    designatedDiseaseNumbers: [13],
    disabilityCertificate: 'MENTAL',
    disclosure: 'CLOSED',
  });
  await consent('bSupporter', b1.clientId, [org.C]);
  await entry('bSupporter', b1.caseId, '乙機密 主治医から就労時間の制限あり');
  await place('bSupporter', b1.caseId, '乙機密商事');
  const b1Referral = await send('bSupporter', b1.caseId, org.C, ALL_CATEGORIES, '乙機密 の紹介文');
  const cCase = (await ok('cCoordinator', ACCEPT, { id: b1Referral, a: userId.cCoordinator })).acceptReferral.toCase
    .id as string;
  await entry('cCoordinator', cCase, '乙機密 病院での面談');
  const b2 = await register('bOther', 'B2');
  const b2Consent = await consent('bOther', b2.clientId, [org.C]);
  await send('bOther', b2.caseId, org.C, ['IDENTITY'], '乙機密 取り消される紹介');
  await ok('bOther', WITHDRAW, { id: b2Consent });
  const bHandover = await handover('bCoordinator', 'bSupporter', 'bOther', b1.caseId, 20);
  await ok('bSupporter', NOTE, {
    h: bHandover,
    c: b1.caseId,
    input: { situation: '乙機密 の状況', cautions: '乙機密 の配慮', nextActions: ['乙機密 の次の一手'] },
  });
  await notify('bSupporter', '乙機密 の通知');
  await ok('bAnalyst', EXPORT);
  await ok('bAdmin', WEBHOOK);

  // D: two clients referred to A who then withdrew their consent.
  const x = await register('dCoordinator', 'X');
  const xConsent = await consent('dCoordinator', x.clientId, [org.A], ['IDENTITY', 'CONTACT']);
  const xReferral = await send('dCoordinator', x.caseId, org.A, ['IDENTITY', 'CONTACT'], '職業評価をお願いします');
  const axCase = (await ok('aCoordinator', ACCEPT, { id: xReferral, a: userId.aSupporter })).acceptReferral.toCase
    .id as string;
  await ok('aCoordinator', COMPLETE, { id: xReferral });
  await entry('dCoordinator', x.caseId, '乙機密 撤回前の記録');
  const y = await register('dCoordinator', 'Y');
  const yConsent = await consent('dCoordinator', y.clientId, [org.A], ['IDENTITY']);
  const yReferral = await send('dCoordinator', y.caseId, org.A, ['IDENTITY'], '相談をお願いします');
  await ok('dCoordinator', WITHDRAW, { id: xConsent });
  await ok('dCoordinator', WITHDRAW, { id: yConsent });

  const a1Set = a1.pool;
  const a2Set = a2.pool;
  const merge = (...pools: Pool[]): Pool => {
    const out: Pool = {};
    for (const p of pools) for (const [k, ids] of Object.entries(p)) out[k] = [...(out[k] ?? []), ...ids];
    return out;
  };
  const othersNotifications = (who: ProbeRole): Pool => ({
    Notification: Object.entries(notification)
      .filter(([w]) => w !== who)
      .map(([, id]) => id),
  });
  const allCaseWork = merge(a1Set, a2Set, { Referral: [a1Referral], Handover: [a1Handover] });
  const unreachable: Record<ProbeRole, Pool> = {
    aSupporter: merge(a2Set, othersNotifications('aSupporter'), { ReportExport: [aExport] }),
    aCoordinator: merge(othersNotifications('aCoordinator'), { ReportExport: [aExport] }),
    aAdmin: merge(allCaseWork, othersNotifications('aAdmin'), { ReportExport: [aExport] }),
    aAnalyst: merge(allCaseWork, othersNotifications('aAnalyst')),
    aIdle: merge(allCaseWork, othersNotifications('aIdle'), { ReportExport: [aExport] }),
  };
  const withdrawn: Pool = {
    Client: [x.clientId, y.clientId],
    Case: [axCase],
    Referral: [xReferral, yReferral],
    ConsentGrant: [xConsent, yConsent],
  };
  const withdrawnIds = new Set(Object.values(withdrawn).flat());

  const elsewhere = await rowsOf(api.db.owner, [org.B, org.C, org.D], withdrawnIds);
  elsewhere.Organization = [org.B];
  const dUsers = new Set(await membersOf(api.db.owner, [org.D]));
  // What A may never see: B's and C's ids of every kind, D's private rows (not its staff: a referral names them).
  const globalIds = new Set(
    Object.entries(elsewhere)
      .filter(([kind]) => kind !== 'Organization')
      .flatMap(([, ids]) => ids)
      .filter((id) => !dUsers.has(id)),
  );
  const { rows: users } = await api.db.owner.query<{ email: string; display_name: string }>(
    `SELECT email, display_name FROM users WHERE id IN (SELECT user_id FROM memberships WHERE org_id = ANY ($1))`,
    [[org.B, org.C]],
  );
  const globalTexts = [
    ...SECRET_MARKERS,
    ...personal('B1', 'B2', 'X', 'Y'),
    ...users.flatMap((u) => [u.email, u.display_name]),
  ];
  const outsideCases = [...personal('A2'), '甲担当外'];
  const allOfA = [...outsideCases, ...personal('A1'), '甲担当内'];
  const secretTexts: Record<ProbeRole, string[]> = {
    aSupporter: [...globalTexts, ...outsideCases],
    aCoordinator: globalTexts,
    aAdmin: [...globalTexts, ...allOfA],
    aAnalyst: [...globalTexts, ...allOfA],
    aIdle: [...globalTexts, ...allOfA],
  };
  const ids = (pool: Pool) => Object.values(pool).flat();
  const secretIds = Object.fromEntries(
    PROBE_ROLES.map((r) => [
      r,
      new Set([...globalIds, ...(r === 'aCoordinator' ? [] : ids(unreachable[r]).filter((id) => id !== aExport))]),
    ]),
  ) as Record<ProbeRole, Set<string>>;
  // An ORG_ADMIN reads the audit log, which names (never shows) the clients and cases it is about.
  secretIds.aAdmin = new Set(globalIds);

  return {
    org,
    token: Object.fromEntries(PROBE_ROLES.map((r) => [r, token[r]!])) as Record<ProbeRole, string>,
    userId: Object.fromEntries(PROBE_ROLES.map((r) => [r, userId[r]!])) as Record<ProbeRole, string>,
    own: merge(a1Set, {
      Referral: [a1Referral],
      Handover: [a1Handover],
      ReportExport: [aExport],
      User: [userId.aSupporter!],
      Organization: [org.E],
    }),
    elsewhere,
    unreachable,
    withdrawn,
    secretIds,
    secretTexts,
    guarded: [org.B, org.C, org.D],
  };
}

/**
 * The first wall alone: row-level security turned off on every table of this test database (the tables' owner may),
 * so the application role sees every row it is granted and only the service's own conditions hold. Returns the count.
 */
export async function disableRowLevelSecurity(owner: pg.Pool): Promise<number> {
  const { rows } = await owner.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND rowsecurity`,
  );
  for (const { t } of rows) await owner.query(`ALTER TABLE ${t} DISABLE ROW LEVEL SECURITY`);
  return rows.length;
}

/** The tables that hold one organization's rows: every base table with an org_id column. */
export async function tenantTables(owner: pg.Pool): Promise<string[]> {
  const { rows } = await owner.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND t.table_type = 'BASE TABLE'
      ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

async function membersOf(owner: pg.Pool, orgIds: string[]): Promise<string[]> {
  const { rows } = await owner.query<{ user_id: string }>(
    'SELECT DISTINCT user_id FROM memberships WHERE org_id = ANY ($1)',
    [orgIds],
  );
  return rows.map((r) => r.user_id);
}

/**
 * The ids of the organizations' rows by GraphQL type: the table named after the type (Case → cases, TimelineEntry →
 * timeline_entries), so a new type with its table joins the probe by itself. Users are those with a membership there.
 */
async function rowsOf(owner: pg.Pool, orgIds: string[], except: Set<string>): Promise<Pool> {
  const pool: Pool = {};
  for (const table of await tenantTables(owner)) {
    const { rows: hasId } = await owner.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'id'
         AND data_type = 'uuid'`,
      [table],
    );
    if (!hasId.length) continue;
    const { rows } = await owner.query<{ id: string }>(`SELECT id FROM ${table} WHERE org_id = ANY ($1)`, [orgIds]);
    const kind = table
      .replace(/ies$/, 'y')
      .replace(/s$/, '')
      .split('_')
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
    pool[kind] = rows.map((r) => r.id).filter((id) => !except.has(id));
  }
  pool.User = await membersOf(owner, orgIds);
  return pool;
}

/**
 * A checksum of every row the organizations own (each tenant table's rows with their org_id, their directory
 * entries, their members' user rows), as the owner: md5 of the rows' text in order, per table. With `sender`, the
 * entries its own referrals write in the guarded organizations' timelines are left out: PRODUCT.md has every referral
 * transition written in both organizations, and A may send B a referral (the directory is public; the probe's
 * recordConsent can name B) — that is A's act, not a change to B's data.
 */
export async function checksum(owner: pg.Pool, orgIds: string[], sender?: string): Promise<Record<string, string>> {
  const own: Record<string, string> = sender
    ? {
        timeline_entries: `AND NOT (author_org_id = $2::uuid
          AND referral_id IN (SELECT id FROM referrals WHERE org_id = $2::uuid))`,
      }
    : {};
  const rows = (from: string, where: string) =>
    `count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM ${from} x WHERE ${where}`;
  const parts = (await tenantTables(owner)).map(
    (t) => `SELECT '${t}' AS t, ${rows(t, `org_id = ANY ($1) ${own[t] ?? ''}`)}`,
  );
  parts.push(`SELECT 'organizations', ${rows('organizations', 'id = ANY ($1)')}`);
  parts.push(`SELECT 'users', ${rows('users', 'id IN (SELECT user_id FROM memberships WHERE org_id = ANY ($1))')}`);
  const params: unknown[] = sender ? [orgIds, sender] : [orgIds];
  const { rows: sums } = await owner.query<{ t: string; n: number; h: string }>(parts.join(' UNION ALL '), params);
  return Object.fromEntries(sums.map((r) => [r.t, `${r.n}:${r.h}`]));
}
