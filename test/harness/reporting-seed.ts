import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { DISEASE_GROUP_ORDER, readDesignatedDiseaseList, type DesignatedDisease } from '@tasuki/domain';
import { mulberry32, syntheticPopulation, TYPICAL_SHAPE } from './synthetic-population.js';

/**
 * Clients of one organization for the anonymized export's tests and benchmark, written as the owner (behind the
 * service) in bulk: each with the owner's case (intake up to five years back, or as asked), a consent grant in a chosen state,
 * and some with a placement (some separated) and a referral to a partner (accepted, declined, cancelled or waiting).
 * Quasi-identifiers come from the skewed synthetic population (very old clients, rare diseases, small prefectures).
 */

/** What the client's grant says about statistics (only ACTIVE puts the client in an export's cohort). */
export type ConsentState =
  | 'ACTIVE'
  /** A grant for referrals only: never consented to STATISTICS. */
  | 'NEVER'
  | 'WITHDRAWN'
  | 'EXPIRED'
  /** STATISTICS, but HEALTH is not among the grant's categories. */
  | 'MISSING_CATEGORY';

export interface SeededClient {
  id: string;
  caseId: string;
  consentId: string;
  consent: ConsentState;
}

export interface SeedOptions {
  orgId: string;
  /** Recipients of the referrals (at least one). */
  partnerOrgIds: readonly string[];
  size: number;
  seed: number;
  consent?: (i: number) => ConsentState;
  /** How far back the intakes go (default 5 years). */
  intakeYears?: number;
  /** The recipients named by the i-th client's grant (default: the first partner). */
  recipients?: (i: number) => readonly string[];
  /** Replaces the synthetic prefecture (e.g. to mark who must never appear). */
  prefecture?: (consent: ConsentState, generated: string) => string;
  /** Rows per INSERT. */
  chunk?: number;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const dateOf = (ms: number) => iso(ms).slice(0, 10);

/** The 指定難病 list: the real one where ../shared/reference exists, else 348 numbers over the 14 groups. */
export async function diseaseList(): Promise<DesignatedDisease[]> {
  const dir = join(process.cwd(), '..', 'shared', 'reference');
  return existsSync(dir)
    ? readDesignatedDiseaseList(dir)
    : Array.from({ length: 348 }, (_, i) => ({
        number: i + 1,
        name: `疾病${i + 1}`,
        groups: [DISEASE_GROUP_ORDER[i % 14]!],
      }));
}

/** Imports the list as the importer would (the application role only reads it). */
export async function seedDesignatedDiseases(owner: pg.Pool, list: readonly DesignatedDisease[]): Promise<void> {
  await owner.query(
    `INSERT INTO designated_diseases (number, name, groups, effective_on)
     SELECT n, name, ARRAY(SELECT jsonb_array_elements_text(g)), '2025-04-01'
       FROM unnest($1::int[], $2::text[], $3::jsonb[]) AS t(n, name, g)
     ON CONFLICT (number) DO NOTHING`,
    [list.map((d) => d.number), list.map((d) => d.name), list.map((d) => JSON.stringify(d.groups))],
  );
}

export async function seedReportingCohort(owner: pg.Pool, o: SeedOptions): Promise<SeededClient[]> {
  const list = await diseaseList();
  const rnd = mulberry32(o.seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const now = Date.now();
  // Iterated by hand: a for-of left with break would close the generator between chunks.
  const population = syntheticPopulation(
    { ...TYPICAL_SHAPE, size: o.size, seed: o.seed },
    list.map((d) => d.number),
  )[Symbol.iterator]();
  const out: SeededClient[] = [];
  const chunk = o.chunk ?? 5000;
  let i = 0;
  for (;;) {
    const c = {
      clients: [] as unknown[][],
      cases: [] as unknown[][],
      grants: [] as unknown[][],
      placements: [] as unknown[][],
      referrals: [] as unknown[][],
    };
    for (let next = population.next(); !next.done; next = population.next()) {
      const subject = next.value;
      const id = randomUUID();
      const caseId = randomUUID();
      const consentId = randomUUID();
      const consent = o.consent?.(i) ?? 'ACTIVE';
      i++;
      const opened = now - Math.floor(rnd() * (o.intakeYears ?? 5) * 365) * DAY - Math.floor(rnd() * DAY);
      const closed = rnd() < 0.3;
      const certificate = pick([null, 'NONE', 'NONE', 'NONE', 'PHYSICAL', 'MENTAL', 'MENTAL', 'REHABILITATION']);
      c.clients.push([
        id,
        '匿名',
        '太郎',
        subject.birthDate,
        o.prefecture?.(consent, subject.prefectureCode) ?? subject.prefectureCode,
        JSON.stringify(subject.designatedDiseaseNumbers),
        certificate,
      ]);
      c.cases.push([caseId, id, closed ? 'CLOSED' : 'OPEN', iso(opened), closed ? iso(now - DAY) : null]);
      const grantedAt = Math.min(opened + DAY, now - 2 * DAY);
      c.grants.push([
        consentId,
        id,
        consent === 'NEVER' ? ['REFERRAL'] : ['STATISTICS', 'REFERRAL'],
        consent === 'MISSING_CATEGORY'
          ? ['IDENTITY', 'CONTACT', 'EMPLOYMENT']
          : ['IDENTITY', 'CONTACT', 'HEALTH', 'EMPLOYMENT', 'NOTES'],
        iso(grantedAt),
        consent === 'EXPIRED' ? iso(now - DAY) : null,
        consent === 'WITHDRAWN' ? iso(now - DAY) : null,
        o.recipients?.(i - 1) ?? [o.partnerOrgIds[0]!],
      ]);
      if (rnd() < 0.35) {
        const start = opened + (30 + Math.floor(rnd() * 370)) * DAY;
        if (start < now) {
          const separated = rnd() < 0.3 ? Math.min(start + (10 + Math.floor(rnd() * 300)) * DAY, now) : null;
          c.placements.push([caseId, id, dateOf(start), separated === null ? null : dateOf(separated)]);
        }
      }
      if (rnd() < 0.4) {
        const sent = Math.min(opened + (1 + Math.floor(rnd() * 30)) * DAY, now - DAY);
        const status = pick(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'DECLINED', 'DECLINED', 'CANCELLED', 'SENT']);
        const answered = status === 'ACCEPTED' || status === 'DECLINED';
        c.referrals.push([
          pick(o.partnerOrgIds),
          id,
          caseId,
          consentId,
          status,
          iso(sent),
          answered ? iso(Math.min(sent + rnd() * 20 * DAY, now)) : null,
          status === 'DECLINED' ? 'NO_CAPACITY' : null,
        ]);
      }
      out.push({ id, caseId, consentId, consent });
      if (c.clients.length === chunk) break;
    }
    if (c.clients.length === 0) break;
    await insertChunk(owner, o.orgId, c);
    if (c.clients.length < chunk) break;
  }
  return out;
}

const columns = (rows: unknown[][]) => (rows[0] ?? []).map((_, j) => rows.map((r) => r[j]));

async function insertChunk(
  owner: pg.Pool,
  orgId: string,
  c: Record<'clients' | 'cases' | 'grants' | 'placements' | 'referrals', unknown[][]>,
) {
  await owner.query(
    `INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code, designated_disease_numbers,
       disability_certificate)
     SELECT id, $1, f, g, b, p, ARRAY(SELECT jsonb_array_elements_text(d)::int), cert
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::date[], $6::text[], $7::jsonb[], $8::text[])
         AS t(id, f, g, b, p, d, cert)`,
    [orgId, ...columns(c.clients)],
  );
  await owner.query(
    `INSERT INTO cases (id, org_id, client_id, status, phase, opened_at, closed_at)
     SELECT id, $1, cl, s, CASE WHEN s = 'CLOSED' THEN 'CLOSED' ELSE 'JOB_SEARCH' END, o, x
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[]) AS t(id, cl, s, o, x)`,
    [orgId, ...columns(c.cases)],
  );
  await owner.query(
    `INSERT INTO consent_grants (id, org_id, client_id, recipient_org_ids, purposes, categories, method, granted_at,
       expires_at, withdrawn_at, withdrawal_reason)
     SELECT id, $1, cl, ARRAY(SELECT jsonb_array_elements_text(rc)::uuid), ARRAY(SELECT jsonb_array_elements_text(pu)),
            ARRAY(SELECT jsonb_array_elements_text(ca)), 'WRITTEN', ga,
            CASE WHEN ex IS NULL THEN NULL ELSE greatest(ex, ga + interval '1 second') END, wd,
            CASE WHEN wd IS NULL THEN NULL ELSE '本人の申し出' END
       FROM unnest($2::uuid[], $3::uuid[], $4::jsonb[], $5::jsonb[], $6::timestamptz[], $7::timestamptz[],
                   $8::timestamptz[], $9::jsonb[]) AS t(id, cl, pu, ca, ga, ex, wd, rc)`,
    [orgId, ...columns(c.grants).map((col, j) => ([2, 3, 7].includes(j) ? col.map((v) => JSON.stringify(v)) : col))],
  );
  if (c.placements.length) {
    await owner.query(
      `INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route, weekly_hours_band,
         separated_on, separation_reason, separation_recorded_at)
       SELECT $1, cs, cl, '株式会社テスト', st, 'DISABILITY_VACANCY', 'FROM_20_UNDER_30', sep,
              CASE WHEN sep IS NULL THEN NULL ELSE '体調' END, CASE WHEN sep IS NULL THEN NULL ELSE now() END
         FROM unnest($2::uuid[], $3::uuid[], $4::date[], $5::date[]) AS t(cs, cl, st, sep)`,
      [orgId, ...columns(c.placements)],
    );
  }
  if (c.referrals.length) {
    await owner.query(
      `INSERT INTO referrals (org_id, to_org_id, client_id, from_case_id, consent_id, reason, shared_categories,
         status, sent_at, responded_at, received_at, decline_code, closed_at)
       SELECT $1, tor, cl, cs, cn, 'ASSESSMENT', '{IDENTITY}', st, sent, resp, resp, dc,
              CASE WHEN st IN ('DECLINED','CANCELLED') THEN coalesce(resp, sent) END
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::timestamptz[],
                     $8::timestamptz[], $9::text[]) AS t(tor, cl, cs, cn, st, sent, resp, dc)`,
      [orgId, ...columns(c.referrals)],
    );
  }
}
