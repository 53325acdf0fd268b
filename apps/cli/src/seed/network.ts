import type { OrganizationKind } from '@tasuki/domain';
import { ORGANIZATION_KIND_LABELS } from '@tasuki/domain';
import { Random, Weighted } from './random.js';
import {
  COMMON_DISEASES,
  CONSULTATION_SUMMARIES,
  EMPLOYERS,
  FAMILY_NAMES,
  FEMALE_NAMES,
  KIND_CASELOAD,
  KIND_SHARES,
  MALE_NAMES,
  NEXT_KINDS,
  NOTE_SUMMARIES,
  PREFECTURES,
  REASON_BY_KIND,
  prefectureCode,
} from './vocabulary.js';

/**
 * The generator of the seeded network (PRODUCT.md §4): organizations and their members, then one client at a time
 * with the client's whole journey — the case at the organization that registered them, consent grants, referrals
 * along the real paths with their transitions and 第三者提供記録, the recipients' cases, the timelines, placements
 * and follow-ups — as rows ready for bulk loading. Pure: the same seed and as-of date give the same rows.
 *
 * What holds for every row, as the product's own code would have written it: a referral is sent under the sender's
 * grant that is ACTIVE, names the recipient, has the purpose REFERRAL and covers the shared categories; grants that
 * ended (withdrawn, expired) back no referral; at most one open referral per sender, recipient and client; a recipient
 * holds a case exactly when it accepted a referral; every time lies before the as-of instant and after what it
 * follows; a case's last activity is the latest of its opening and its own timeline entries.
 */

export type Scale = 'S' | 'M' | 'L';

export const SCALES: Record<Scale, { organizations: number; users: number; clients: number }> = {
  S: { organizations: 24, users: 150, clients: 2_000 },
  M: { organizations: 60, users: 600, clients: 20_000 },
  L: { organizations: 300, users: 3_000, clients: 200_000 },
};

export type TableName =
  | 'organizations'
  | 'users'
  | 'memberships'
  | 'clients'
  | 'cases'
  | 'case_assignments'
  | 'consent_grants'
  | 'referrals'
  | 'referral_transitions'
  | 'data_provisions'
  | 'timeline_entries'
  | 'placements'
  | 'follow_ups';

/** One row: values in the column order of TABLE_COLUMNS; times as epoch milliseconds, dates as YYYY-MM-DD. */
export type Row = unknown[];
export type Rows = Record<TableName, Row[]>;

export const emptyRows = (): Rows => ({
  organizations: [],
  users: [],
  memberships: [],
  clients: [],
  cases: [],
  case_assignments: [],
  consent_grants: [],
  referrals: [],
  referral_transitions: [],
  data_provisions: [],
  timeline_entries: [],
  placements: [],
  follow_ups: [],
});

export interface SeedOrg {
  id: string;
  kind: OrganizationKind;
  pref: number;
  weight: number;
  admin: string;
  coordinators: string[];
  /** Coordinators and supporters: who may hold a case. */
  holders: string[];
}

const DAY = 86_400_000;
const CATEGORIES_BASE = ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT'];
const PLACING_KINDS: ReadonlySet<OrganizationKind> = new Set([
  'HELLO_WORK',
  'VOCATIONAL_CENTER',
  'WORK_LIFE_SUPPORT_CENTER',
  'TRANSITION_SERVICE',
  'RETENTION_SERVICE',
]);
const CLOSE_REASONS = ['就職により支援終了', '他機関での支援へ移行', '本人の希望により終了', '連絡が取れないため終了'];
const MILESTONES: readonly [string, number, number][] = [
  ['W2', 14, 0],
  ['M1', 0, 1],
  ['M3', 0, 3],
  ['M6', 0, 6],
  ['M12', 0, 12],
];

const isoDate = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10);
const addMonths = (date: string, months: number, days: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};
const dateMs = (date: string) => Date.parse(`${date}T00:00:00+09:00`);

/** A standard normal draw (Box–Muller). */
const normal = (rnd: Random) => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());

/** The kinds of n organizations in Sainte-Laguë order: every prefix keeps KIND_SHARES' proportions. */
function kindSequence(n: number): OrganizationKind[] {
  const counts = KIND_SHARES.map(() => 0);
  const out: OrganizationKind[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < KIND_SHARES.length; k++) {
      if (KIND_SHARES[k]![1] / (2 * counts[k]! + 1) > KIND_SHARES[best]![1] / (2 * counts[best]! + 1)) best = k;
    }
    counts[best]!++;
    out.push(KIND_SHARES[best]![0]);
  }
  return out;
}

export class NetworkGenerator {
  readonly rnd: Random;
  readonly orgs: SeedOrg[] = [];
  private readonly byKind = new Map<OrganizationKind, SeedOrg[]>();
  private readonly byKindPref = new Map<string, SeedOrg[]>();
  private homeOrg!: Weighted;
  private readonly prefecture = new Weighted(PREFECTURES.map((p) => p.population));
  private readonly disease: Weighted;
  private clientSeq = 0;

  constructor(
    readonly scale: Scale,
    seed: number,
    /** The instant the data is "as of": every generated time lies before it. */
    readonly asOf: number,
    private readonly diseaseNumbers: readonly number[],
    private readonly passwordHash: string | null,
  ) {
    this.rnd = new Random(seed);
    const common = COMMON_DISEASES.filter((n) => diseaseNumbers.includes(n));
    const rest = diseaseNumbers.filter((n) => !common.includes(n)).sort((a, b) => a - b);
    this.ordered = [...common, ...rest];
    // Zipf: a few diseases are common, a long tail is rare.
    this.disease = new Weighted(this.ordered.map((_, rank) => 1 / (rank + 1) ** 1.1));
  }

  private readonly ordered: number[];

  /** Organizations, users and memberships. */
  network(out: Rows): void {
    const { rnd } = this;
    const size = SCALES[this.scale];
    const kinds = kindSequence(size.organizations);
    const seen = new Map<OrganizationKind, number>();
    for (const [i, kind] of kinds.entries()) {
      const nth = seen.get(kind) ?? 0;
      seen.set(kind, nth + 1);
      // Disease support centres and vocational centres: one per prefecture; the first 47 others too; then population.
      const perPrefecture = kind === 'DISEASE_SUPPORT_CENTER' || kind === 'VOCATIONAL_CENTER';
      const pref = perPrefecture ? nth % 47 : i < 47 ? i : this.prefecture.draw(rnd);
      const org: SeedOrg = {
        id: rnd.uuid(),
        kind,
        pref,
        weight: (KIND_CASELOAD[kind] ?? 0.4) * Math.exp(0.6 * normal(rnd)),
        admin: '',
        coordinators: [],
        holders: [],
      };
      this.orgs.push(org);
      const created = this.asOf - (1000 + rnd.int(400)) * DAY;
      const prefName = PREFECTURES[org.pref]!.name;
      const key = `${kind}/${org.pref}`;
      const sameHere = this.byKindPref.get(key)?.length ?? 0;
      const name = `${prefName}${ORGANIZATION_KIND_LABELS[kind]}${sameHere ? ` 第${sameHere + 1}` : ''}`;
      out.organizations.push([
        org.id,
        name,
        kind,
        prefectureCode(org.pref),
        this.municipality(org.pref),
        [],
        kind !== 'EMPLOYER',
        `${prefName} 代表 0${rnd.between(10, 99)}-${rnd.between(100, 999)}-${rnd.between(1000, 9999)}`,
        created,
        created,
      ]);
      (this.byKind.get(kind) ?? this.byKind.set(kind, []).get(kind)!).push(org);
      (this.byKindPref.get(key) ?? this.byKindPref.set(key, []).get(key)!).push(org);
    }
    this.homeOrg = new Weighted(this.orgs.map((o) => o.weight));

    // Members: at least four per organization (an admin, an analyst, a coordinator, a supporter), the rest by size.
    const totalWeight = this.orgs.reduce((s, o) => s + o.weight, 0);
    const extra = size.users - 4 * this.orgs.length;
    const alloc = this.orgs.map((o) => 4 + Math.floor((extra * o.weight) / totalWeight));
    for (let left = size.users - alloc.reduce((s, n) => s + n, 0), k = 0; left > 0; left--, k++) {
      alloc[k % alloc.length]!++;
    }
    let userSeq = 0;
    for (const [i, org] of this.orgs.entries()) {
      const n = alloc[i]!;
      const coordinators = Math.max(1, Math.round(n * 0.2));
      for (let j = 0; j < n; j++) {
        const id = rnd.uuid();
        const roles =
          j === 0 ? ['ORG_ADMIN'] : j === 1 ? ['ANALYST'] : j < 2 + coordinators ? ['COORDINATOR'] : ['SUPPORTER'];
        if (j === 0) org.admin = id;
        if (roles[0] === 'COORDINATOR') org.coordinators.push(id);
        if (roles[0] === 'COORDINATOR' || roles[0] === 'SUPPORTER') org.holders.push(id);
        const female = rnd.chance(0.5);
        const [family] = rnd.pick(FAMILY_NAMES);
        const [given] = rnd.pick(female ? FEMALE_NAMES : MALE_NAMES);
        const created = this.asOf - (300 + rnd.int(700)) * DAY;
        userSeq++;
        out.users.push([
          id,
          `user${userSeq}@org${i + 1}.seed.example.jp`,
          `${family} ${given}`,
          this.passwordHash,
          created,
          created,
        ]);
        out.memberships.push([rnd.uuid(), org.id, id, roles, created, created]);
      }
    }
  }

  private municipality(pref: number): string {
    return `${prefectureCode(pref)}${this.rnd.between(100, 599)}${this.rnd.int(10)}`;
  }

  /** Another organization of a kind, the same prefecture first, none of `exclude`. */
  partner(kind: OrganizationKind, pref: number, exclude: ReadonlySet<string>): SeedOrg | undefined {
    const pool = [this.byKindPref.get(`${kind}/${pref}`) ?? [], this.byKind.get(kind) ?? []];
    for (const orgs of pool) {
      const free = orgs.filter((o) => !exclude.has(o.id) && o.kind !== 'EMPLOYER');
      if (free.length) return this.rnd.pick(free);
    }
    return undefined;
  }

  /** One client and everything that happened around them. */
  client(out: Rows): void {
    const { rnd, asOf } = this;
    const home = this.orgs[this.homeOrg.draw(rnd)]!;
    const clientId = rnd.uuid();
    this.clientSeq++;
    // Registered within the last five years, more of them recently.
    const t0 = asOf - DAY - Math.floor(5 * 365 * rnd.next() ** 1.3) * DAY - rnd.int(DAY);
    const pref = rnd.chance(0.9) ? home.pref : this.prefecture.draw(rnd);
    const sex = rnd.chance(0.52) ? 'FEMALE' : rnd.chance(0.96) ? 'MALE' : rnd.chance(0.3) ? 'OTHER' : 'UNANSWERED';
    const [family, familyKana] = rnd.pick(FAMILY_NAMES);
    const [given, givenKana] = rnd.pick(sex === 'FEMALE' ? FEMALE_NAMES : MALE_NAMES);
    const age = rnd.chance(0.03) ? rnd.between(65, 72) : 18 + Math.floor(47 * ((rnd.next() + rnd.next()) / 2));
    const asOfYear = Number(isoDate(asOf).slice(0, 4));
    const birth = `${asOfYear - age - 1}-${String(rnd.between(1, 12)).padStart(2, '0')}-${String(rnd.between(1, 28)).padStart(2, '0')}`;
    const diseases = rnd.chance(0.05) ? [] : [this.ordered[this.disease.draw(rnd)]!];
    if (diseases.length && rnd.chance(0.03)) diseases.push(this.ordered[this.disease.draw(rnd)]!);
    const certificate = rnd.pick([
      'NONE',
      'NONE',
      'NONE',
      'NONE',
      'PHYSICAL',
      'PHYSICAL',
      'MENTAL',
      'REHABILITATION',
      null,
    ]);
    out.clients.push([
      clientId,
      home.id,
      family,
      given,
      familyKana,
      givenKana,
      birth,
      sex,
      prefectureCode(pref),
      rnd.chance(0.8) ? this.municipality(pref) : null,
      `090-${rnd.between(1000, 9999)}-${rnd.between(1000, 9999)}`,
      rnd.chance(0.4) ? `client${this.clientSeq}@mail.example.jp` : null,
      [...new Set(diseases)].sort((a, b) => a - b),
      certificate,
      rnd.pick(['OPEN', 'OPEN', 'CLOSED', 'PARTIAL', 'UNDECIDED', null]),
      rnd.pick(home.coordinators),
      t0,
      t0,
    ]);
    new Journey(this, out, clientId, pref).run(home, t0);
  }
}

interface SeedCase {
  id: string;
  org: SeedOrg;
  openedAt: number;
  closedAt: number | null;
  /** The latest time of an entry in its own timeline. */
  lastActivity: number;
  /** Outbound referrals still open (SENT, RECEIVED, ACCEPTED). */
  openOutbound: number;
  /** When its outbound referrals ended, at the latest. */
  busyUntil: number;
  placedAt: number | null;
  grant: { id: string; categories: string[]; recipients: string[]; row: Row } | null;
}

interface SeedReferral {
  id: string;
  from: SeedCase;
  to: SeedOrg;
  status: string;
  sentAt: number;
  /** When it reached a terminal state, or null while open. */
  closedAt: number | null;
  toCase: SeedCase | null;
}

/** The journey of one client through the network, written into the row buffers. */
class Journey {
  private readonly rnd: Random;
  private readonly cases = new Map<string, SeedCase>();
  private readonly grantRows: Row[] = [];

  constructor(
    private readonly g: NetworkGenerator,
    private readonly out: Rows,
    private readonly clientId: string,
    private readonly pref: number,
  ) {
    this.rnd = g.rnd;
  }

  run(home: SeedOrg, t0: number): void {
    const { rnd } = this;
    const homeCase = this.openCase(home, t0);
    this.timeline(homeCase, 'INTAKE', t0, '初回相談 (インテーク)', null);
    // How far along the paths the client went: most are referred once or not at all.
    const x = rnd.next();
    const hops = x < 0.62 ? 0 : x < 0.9 ? 1 : x < 0.98 ? 2 : 3;
    let current = homeCase;
    let t = t0 + (7 + rnd.int(50)) * DAY;
    const visited = new Set([home.id]);
    // Some referrals came to nothing: declined (no capacity, out of area) or withdrawn before an answer.
    if (hops === 0 && rnd.chance(0.5))
      this.attempts(homeCase, rnd.pick(NEXT_KINDS[home.kind]), t, 1 + rnd.poisson(0.4), visited);
    for (let hop = 0; hop < hops && t < this.g.asOf - DAY; hop++) {
      const kind = rnd.pick(NEXT_KINDS[current.org.kind]);
      t = this.attempts(current, kind, t, rnd.poisson(1.25), visited);
      if (t >= this.g.asOf - DAY) break;
      const to = this.g.partner(kind, this.pref, visited);
      if (!to) break;
      visited.add(to.id);
      const last = hop === hops - 1;
      const y = rnd.next();
      const planned = !last
        ? 'COMPLETED'
        : y < 0.07
          ? 'SENT'
          : y < 0.13
            ? 'RECEIVED'
            : y < 0.3
              ? 'ACCEPTED'
              : y < 0.5
                ? 'COMPLETED'
                : y < 0.53
                  ? 'FAILED'
                  : y < 0.8
                    ? 'DECLINED'
                    : 'CANCELLED';
      const r = this.refer(current, to, t, planned, null);
      if (!r.toCase) break;
      // Sometimes the same pair works together again later (assessment, then job coaching).
      let previous = r;
      while (previous.status === 'COMPLETED' && rnd.chance(0.35)) {
        const again = previous.closedAt! + (10 + rnd.int(60)) * DAY;
        if (again >= this.g.asOf - DAY) break;
        previous = this.refer(current, to, again, rnd.chance(0.6) ? 'COMPLETED' : 'ACCEPTED', previous);
      }
      current = r.toCase;
      t = current.openedAt + (14 + rnd.int(90)) * DAY;
    }
    for (const c of this.cases.values()) this.finish(c);
  }

  /** Referrals that did not take, one after another: declined or cancelled. Returns when the last one ended. */
  private attempts(from: SeedCase, kind: OrganizationKind, t: number, count: number, visited: Set<string>): number {
    for (let a = count; a > 0 && t < this.g.asOf - DAY; a--) {
      const to = this.g.partner(kind, this.pref, visited);
      if (!to) break;
      visited.add(to.id);
      const r = this.refer(from, to, t, this.rnd.chance(0.55) ? 'DECLINED' : 'CANCELLED', null);
      t = Math.max(t, r.closedAt ?? t) + (3 + this.rnd.int(20)) * DAY;
    }
    return t;
  }

  private openCase(org: SeedOrg, at: number): SeedCase {
    const c: SeedCase = {
      id: this.rnd.uuid(),
      org,
      openedAt: at,
      closedAt: null,
      lastActivity: at,
      openOutbound: 0,
      busyUntil: at,
      placedAt: null,
      grant: null,
    };
    this.cases.set(org.id, c);
    return c;
  }

  /** The sender's ACTIVE grant, created at its first referral (or at its close for statistics), naming `to`. */
  private grantFor(c: SeedCase, to: SeedOrg | null, at: number): NonNullable<SeedCase['grant']> {
    const { rnd } = this;
    if (!c.grant) {
      const grantedAt = Math.min(at, c.openedAt + rnd.int(3 * DAY), this.g.asOf - 60_000);
      const categories = rnd.chance(0.4) ? [...CATEGORIES_BASE, 'NOTES'] : [...CATEGORIES_BASE];
      const home = c.org.id === this.out.clients[this.out.clients.length - 1]![1];
      const purposes = home
        ? rnd.chance(0.9)
          ? ['REFERRAL', 'STATISTICS']
          : ['REFERRAL']
        : rnd.chance(0.7)
          ? ['REFERRAL', 'STATISTICS']
          : ['REFERRAL'];
      if (rnd.chance(0.15)) purposes.splice(1, 0, 'INFO_SHARING');
      // ACTIVE now: no end, or an end after the as-of instant.
      const expiresAt = rnd.chance(0.4) ? null : this.g.asOf + (30 + rnd.int(900)) * DAY;
      const row: Row = [
        rnd.uuid(),
        c.org.id,
        this.clientId,
        [], // recipients: filled in as referrals are made
        purposes,
        categories,
        rnd.pick(['WRITTEN', 'WRITTEN', 'ELECTRONIC', 'VERBAL_RECORDED']),
        rnd.chance(0.95) ? 'SELF' : 'REPRESENTATIVE',
        grantedAt,
        expiresAt,
        rnd.chance(0.5) ? `同意書-${String(rnd.int(1e6)).padStart(6, '0')}` : null,
        null,
        null,
        null,
        rnd.pick(c.org.coordinators),
        grantedAt,
      ];
      c.grant = { id: row[0] as string, categories, recipients: row[3] as string[], row };
      this.grantRows.push(row);
      this.timeline(c, 'CONSENT_GRANTED', grantedAt, '同意を記録しました', null);
    }
    if (to && !c.grant.recipients.includes(to.id)) c.grant.recipients.push(to.id);
    return c.grant;
  }

  /**
   * A referral from a case to an organization, carried through to `planned` as far as the as-of instant allows; the
   * recipient's case opens when it accepts.
   */
  private refer(
    from: SeedCase,
    to: SeedOrg,
    sentAt: number,
    planned: string,
    previous: SeedReferral | null,
  ): SeedReferral {
    const { rnd, g } = this;
    const grant = this.grantFor(from, to, sentAt);
    const optional = ['CONTACT', 'HEALTH', 'EMPLOYMENT', 'NOTES'].filter(
      (c) => grant.categories.includes(c) && rnd.chance(c === 'NOTES' ? 0.5 : 0.8),
    );
    const shared = ['IDENTITY', ...optional];
    const id = rnd.uuid();
    const sender = rnd.pick(from.org.holders);
    const recipientUser = rnd.pick(to.holders);
    const reasons = REASON_BY_KIND[to.kind] ?? ['OTHER'];
    const sentDate = isoDate(sentAt);
    const respondBy = addMonths(sentDate, 0, 10);
    const transitions: [string | null, string, number, SeedOrg, string, string | null][] = [
      [null, 'SENT', sentAt, from.org, sender, null],
    ];
    const before = (t: number) => t < g.asOf;
    let status = 'SENT';
    let receivedAt: number | null = null;
    let respondedAt: number | null = null;
    let closedAt: number | null = null;
    let statusReason: string | null = null;
    let declineCode: string | null = null;
    let outcome: string | null = null;
    let toCase = previous?.toCase ?? null;
    const step = (next: string, at: number, by: SeedOrg, user: string, reason: string | null = null) => {
      transitions.push([status, next, at, by, user, reason]);
      status = next;
    };

    if (planned === 'CANCELLED') {
      const at = sentAt + (1 + rnd.int(10)) * DAY;
      if (before(at)) {
        if (rnd.chance(0.5)) {
          receivedAt = sentAt + rnd.int(DAY);
          step('RECEIVED', receivedAt, to, recipientUser);
        }
        statusReason = '本人の体調不良により取り下げ';
        closedAt = at;
        step('CANCELLED', at, from.org, sender, statusReason);
      }
    } else if (planned !== 'SENT') {
      const r = sentAt + rnd.int(2 * DAY);
      if (before(r)) {
        receivedAt = r;
        step('RECEIVED', r, to, recipientUser);
        const answered = r + (1 + rnd.int(9)) * DAY;
        if (planned !== 'RECEIVED' && before(answered)) {
          respondedAt = answered;
          if (planned === 'DECLINED') {
            declineCode = rnd.pick(['NO_CAPACITY', 'NO_CAPACITY', 'OUT_OF_AREA', 'NOT_ELIGIBLE', 'CLIENT_UNREACHABLE']);
            statusReason = '受け入れ枠がないため';
            closedAt = answered;
            step('DECLINED', answered, to, recipientUser, statusReason);
          } else {
            step('ACCEPTED', answered, to, recipientUser);
            if (!toCase) {
              toCase = this.openCase(to, answered);
              this.assign(toCase, answered);
            }
            const ends = answered + (30 + rnd.int(200)) * DAY;
            if ((planned === 'COMPLETED' || planned === 'FAILED') && before(ends)) {
              closedAt = ends;
              outcome = planned === 'COMPLETED' ? '支援を実施し、紹介元へ報告しました' : '本人の事情により支援を中断';
              step(planned, ends, to, recipientUser, outcome);
            }
          }
        }
      }
    }

    const referral: SeedReferral = { id, from, to, status, sentAt, closedAt, toCase };
    this.out.referrals.push([
      id,
      from.org.id,
      to.id,
      this.clientId,
      from.id,
      toCase?.id ?? null,
      grant.id,
      previous?.id ?? null,
      rnd.pick(reasons),
      rnd.chance(0.1) ? 'URGENT' : 'NORMAL',
      rnd.chance(0.7) ? 'ご本人の希望により、就労に向けた支援をお願いいたします。' : null,
      shared,
      status,
      statusReason,
      declineCode,
      outcome,
      sentAt,
      respondBy,
      receivedAt,
      respondedAt,
      closedAt,
      sender,
      sentAt,
      transitions[transitions.length - 1]![2],
    ]);
    for (const [fromStatus, toStatus, at, by, user, reason] of transitions) {
      this.out.referral_transitions.push([
        rnd.uuid(),
        from.org.id,
        to.id,
        id,
        fromStatus,
        toStatus,
        at,
        by.id,
        user,
        reason,
        toStatus === 'DECLINED' ? declineCode : null,
      ]);
    }
    this.out.data_provisions.push([
      rnd.uuid(),
      from.org.id,
      this.clientId,
      to.id,
      shared,
      grant.id,
      id,
      sentAt,
      sender,
    ]);

    // The sender's timeline records the sending and every answer; the recipient's its receipt and acceptance.
    this.timeline(from, 'REFERRAL_SENT', sentAt, `${ORG_LABEL(to)}へ紹介しました`, id, sender);
    for (const [, toStatus, at, by, user] of transitions.slice(1)) {
      if (toStatus === 'RECEIVED') {
        this.entry(to, null, 'REFERRAL_RECEIVED', at, '紹介を受け付けました', id, user);
      } else {
        this.timeline(from, `REFERRAL_${toStatus}`, at, `紹介先の状態: ${toStatus}`, id, user, by);
        if (toStatus === 'ACCEPTED' && toCase)
          this.timeline(toCase, 'REFERRAL_ACCEPTED', at, '紹介を受理しました', id, user);
      }
    }
    if (closedAt === null) from.openOutbound++;
    from.busyUntil = Math.max(from.busyUntil, closedAt ?? g.asOf);
    if (toCase) toCase.busyUntil = Math.max(toCase.busyUntil, closedAt ?? g.asOf);
    return referral;
  }

  private assign(c: SeedCase, at: number): void {
    const { rnd } = this;
    const holders = c.org.holders;
    const first = rnd.pick(holders);
    if (rnd.chance(0.05)) return; // unassigned
    if (rnd.chance(0.15) && holders.length > 1) {
      // A predecessor who handed the case over.
      const predecessor = rnd.pick(holders.filter((h) => h !== first));
      const handover = at + (30 + rnd.int(300)) * DAY;
      if (handover < this.g.asOf) {
        this.out.case_assignments.push([
          rnd.uuid(),
          c.org.id,
          c.id,
          predecessor,
          at,
          handover,
          c.org.admin,
          c.org.admin,
        ]);
        this.out.case_assignments.push([rnd.uuid(), c.org.id, c.id, first, handover, null, c.org.admin, null]);
        return;
      }
    }
    this.out.case_assignments.push([rnd.uuid(), c.org.id, c.id, first, at, null, c.org.admin, null]);
    if (rnd.chance(0.1) && holders.length > 1) {
      const second = rnd.pick(holders.filter((h) => h !== first));
      this.out.case_assignments.push([rnd.uuid(), c.org.id, c.id, second, at, null, c.org.admin, null]);
    }
  }

  /** Consultations, a placement with its follow-ups, an ended grant, closing: what remains of a case's life. */
  private finish(c: SeedCase): void {
    const { rnd, g } = this;
    if (c === this.cases.values().next().value) this.assign(c, c.openedAt);
    const asOf = g.asOf;
    // Closed once its referrals are over, for most cases that have been going for a while.
    const closeAt = c.busyUntil + (20 + rnd.int(300)) * DAY;
    const closes = c.openOutbound === 0 && closeAt < asOf && rnd.chance(0.75);
    const end = closes ? closeAt : asOf;

    // A placement, where the organization places people and there was time for it.
    let placement: { id: string; start: string; separated: string | null } | null = null;
    if (PLACING_KINDS.has(c.org.kind) && rnd.chance(0.3)) {
      const startMs = c.openedAt + (40 + rnd.int(300)) * DAY;
      if (startMs < end - DAY) placement = this.place(c, startMs, end);
    }
    if (!c.grant && rnd.chance(0.85)) this.grantFor(c, null, c.openedAt + rnd.int(5 * DAY));
    if (c.grant && c.grant.recipients.length === 0) {
      const partner = g.partner(rnd.pick(NEXT_KINDS[c.org.kind]), this.pref, new Set([c.org.id]));
      c.grant.recipients.push(partner?.id ?? g.orgs.find((o) => o.id !== c.org.id)!.id);
    }
    // An earlier grant for information sharing that ended: withdrawn or expired. Nothing relies on it.
    if (rnd.chance(0.65)) this.endedGrant(c, end);

    // Consultations and notes across the case's life.
    for (let n = rnd.poisson(0.85); n > 0; n--) {
      const at = c.openedAt + Math.floor(rnd.next() * (end - c.openedAt));
      const consult = rnd.chance(0.75);
      this.timeline(
        c,
        consult ? 'CONSULTATION' : 'NOTE',
        at,
        rnd.pick(consult ? CONSULTATION_SUMMARIES : NOTE_SUMMARIES),
        null,
      );
    }
    if (closes) {
      c.closedAt = closeAt;
      this.timeline(c, 'CASE_CLOSED', closeAt, 'ケースを終結しました', null);
    }
    const phase = closes
      ? 'CLOSED'
      : placement
        ? placement.separated
          ? 'JOB_SEARCH'
          : rnd.chance(0.5)
            ? 'PLACED'
            : 'RETENTION'
        : rnd.pick(['INTAKE', 'ASSESSMENT', 'ASSESSMENT', 'PREPARATION', 'PREPARATION', 'JOB_SEARCH', 'JOB_SEARCH']);
    this.out.cases.push([
      c.id,
      c.org.id,
      this.clientId,
      closes ? 'CLOSED' : 'OPEN',
      phase,
      c.openedAt,
      c.closedAt,
      closes ? rnd.pick(CLOSE_REASONS) : null,
      c.lastActivity,
      c.openedAt,
      Math.max(c.lastActivity, c.closedAt ?? 0),
    ]);
    // Cases are written after the journey, but the grants and referrals point at them: grants go out here too.
    if (c.grant) this.out.consent_grants.push(c.grant.row);
  }

  private place(c: SeedCase, startMs: number, end: number): { id: string; start: string; separated: string | null } {
    const { rnd, g } = this;
    const id = rnd.uuid();
    const start = isoDate(startMs);
    const recorder = rnd.pick(c.org.holders);
    let separated: string | null = null;
    if (rnd.chance(0.2)) {
      const s = addMonths(start, rnd.int(14), 1 + rnd.int(25));
      if (dateMs(s) < end) separated = s;
    }
    const sepAt = separated ? dateMs(separated) + 10 * 3_600_000 : null;
    this.out.placements.push([
      id,
      c.org.id,
      c.id,
      this.clientId,
      rnd.pick(EMPLOYERS),
      start,
      rnd.pick(['FULL_TIME', 'CONTRACT', 'PART_TIME', 'PART_TIME', 'DISPATCH']),
      rnd.pick(['DISABILITY_VACANCY', 'GENERAL_OPEN', 'GENERAL_OPEN', 'GENERAL_CLOSED']),
      rnd.pick(['FROM_10_UNDER_20', 'FROM_20_UNDER_30', 'FROM_20_UNDER_30', 'FROM_30']),
      separated,
      separated ? '体調悪化により退職' : null,
      recorder,
      startMs,
      separated ? recorder : null,
      sepAt,
    ]);
    c.placedAt = startMs;
    this.timeline(c, 'PLACEMENT', startMs, '就職が決まりました', null, recorder);
    for (const [milestone, days, months] of MILESTONES) {
      const due = addMonths(start, months, days);
      const dueMs = dateMs(due);
      let row: Row;
      if ((sepAt !== null && dueMs > sepAt) || dueMs >= end) {
        // After a separation or the case's close: cancelled; otherwise still ahead.
        const stop = sepAt !== null && dueMs > sepAt ? sepAt : end < g.asOf ? end : null;
        row =
          stop !== null
            ? [rnd.uuid(), c.org.id, c.id, id, milestone, due, 'CANCELLED', null, null, null, null, stop]
            : [rnd.uuid(), c.org.id, c.id, id, milestone, due, 'SCHEDULED', null, null, null, null, null];
      } else if (dueMs + 14 * DAY < g.asOf && rnd.chance(0.12)) {
        row = [rnd.uuid(), c.org.id, c.id, id, milestone, due, 'MISSED', null, null, null, null, dueMs + 14 * DAY];
      } else if (dueMs + 3 * DAY < g.asOf && dueMs + 3 * DAY < end) {
        const doneAt = dueMs + rnd.int(3 * DAY);
        row = [
          rnd.uuid(),
          c.org.id,
          c.id,
          id,
          milestone,
          due,
          'DONE',
          doneAt,
          rnd.pick(['VISIT', 'PHONE', 'ONLINE']),
          '勤務状況・体調を確認',
          recorder,
          doneAt,
        ];
        this.timeline(c, 'FOLLOW_UP', doneAt, `定着支援 (${milestone}) を実施`, null, recorder);
      } else {
        row = [rnd.uuid(), c.org.id, c.id, id, milestone, due, 'SCHEDULED', null, null, null, null, null];
      }
      this.out.follow_ups.push(row);
    }
    return { id, start, separated };
  }

  private endedGrant(c: SeedCase, end: number): void {
    const { rnd, g } = this;
    const grantedAt = c.openedAt + rnd.int(20 * DAY);
    if (grantedAt >= end - 2 * DAY) return;
    const recipient = g.partner(rnd.pick(NEXT_KINDS[c.org.kind]), this.pref, new Set([c.org.id]));
    if (!recipient) return;
    const recorder = rnd.pick(c.org.coordinators);
    const withdraw = rnd.chance(0.5);
    const endsAt = grantedAt + DAY + Math.floor(rnd.next() * Math.min(400 * DAY, end - grantedAt - DAY));
    this.out.consent_grants.push([
      rnd.uuid(),
      c.org.id,
      this.clientId,
      [recipient.id],
      rnd.chance(0.5) ? ['INFO_SHARING'] : ['CASE_CONFERENCE'],
      ['IDENTITY', 'HEALTH'],
      'WRITTEN',
      'SELF',
      grantedAt,
      withdraw ? null : endsAt,
      null,
      withdraw ? endsAt : null,
      withdraw ? '本人の申し出により撤回' : null,
      withdraw ? recorder : null,
      recorder,
      grantedAt,
    ]);
    this.timeline(c, 'CONSENT_GRANTED', grantedAt, '情報共有の同意を記録しました', null, recorder);
    this.timeline(
      c,
      withdraw ? 'CONSENT_WITHDRAWN' : 'CONSENT_EXPIRED',
      endsAt,
      withdraw ? '同意が撤回されました' : '同意の期限が切れました',
      null,
      recorder,
    );
  }

  private timeline(
    c: SeedCase,
    kind: string,
    at: number,
    summary: string,
    referralId: string | null,
    author?: string,
    by?: SeedOrg,
  ): void {
    this.entry(c.org, c, kind, at, summary, referralId, author ?? this.rnd.pick(c.org.holders), by);
  }

  private entry(
    org: SeedOrg,
    c: SeedCase | null,
    kind: string,
    at: number,
    summary: string,
    referralId: string | null,
    author: string,
    by?: SeedOrg,
  ): void {
    if (c && at > c.lastActivity) c.lastActivity = at;
    this.out.timeline_entries.push([
      this.rnd.uuid(),
      org.id,
      this.clientId,
      c?.id ?? null,
      kind,
      at,
      at + 1000 + this.rnd.int(600_000),
      author,
      (by ?? org).id,
      summary,
      null,
      referralId,
    ]);
  }
}

const ORG_LABEL = (o: SeedOrg) => ORGANIZATION_KIND_LABELS[o.kind];
