import type { Tx } from '@tasuki/platform';
import { ORGANIZATION_KIND_LABELS, type OrganizationKind } from '../organizations/organization.model.js';
import {
  certificateClass,
  fiscalYearLabel,
  RETENTION_MONTHS,
  RETENTION_STATE_LABELS,
  REFERRAL_RESULT_LABELS,
  routeLabel,
  type AggregateInput,
  type CrossTabCell,
  type ReferralResult,
  type RetentionState,
} from './aggregate-tables.js';
import { fiscalYear, regionOf, type ExportSubject } from './generalization.js';
import { EXPORT_OUTCOME_LABELS, type ExportOutcome } from './report-export.model.js';

/**
 * The SQL of the export job, all of it run in the job's one REPEATABLE READ transaction acting for the requesting
 * organization, so the record-level rows and every aggregate table describe the same snapshot.
 *
 * Parameters of every query: $1 the snapshot's date in Japan, $2/$3 the export's period (dates, either open).
 *
 * The cohort comes from the database's statistics functions (migration 1764600000000), which state the consent rule
 * once: the clients with a grant for the purpose STATISTICS covering the categories the export reads
 * (STATISTICS_CATEGORIES), granted by the snapshot, not withdrawn in it (a withdrawal committed before the snapshot is
 * visible and excludes; one committed after it is not) and not expired at its instant — the organization's own
 * clients, and for a MUNICIPALITY also other organizations' clients whose grant names it. `statistics_cases()` gives
 * one row per such client's case at its owner (only the fields an export reads: birth date, prefecture, designated
 * diseases, certificate, the owner's kind, the case's opening and status); `statistics_placements()` and
 * `statistics_referrals()` the facts of those cases, with the client's classes the tables count them by. Another
 * organization's rows stay behind its RLS: the functions return nothing else of them.
 */
const COHORT = `cohort AS (
  SELECT c.case_id, c.org_kind, c.via_consent, c.birth_date, c.prefecture_code, c.designated_disease_numbers,
         c.disability_certificate, c.opened_at, c.status, cardinality(c.designated_disease_numbers) > 0 AS has_disease
    FROM statistics_cases() c)`;

const jst = (column: string) => `(${column} AT TIME ZONE 'Asia/Tokyo')`;
const inPeriod = (date: string) =>
  `${date} BETWEEN coalesce($2::date, '-infinity'::date) AND least(coalesce($3::date, 'infinity'::date), $1::date)`;

/** The owner's case opened the client's support: its date is the intake (受付) date. */
const INTAKE = `${jst('c.opened_at')}::date`;

/** One row per client of the cohort whose intake lies in the period: what the record-level export reads. */
const RECORDS = `WITH ${COHORT}
  SELECT to_char(c.birth_date, 'YYYY-MM-DD') AS birth_date, c.prefecture_code, c.designated_disease_numbers,
         c.org_kind, c.via_consent, to_char(${INTAKE}, 'YYYY-MM-DD') AS intake_on,
         CASE WHEN pl.employed THEN 'EMPLOYED' WHEN pl.case_id IS NOT NULL THEN 'SEPARATED'
              WHEN c.status = 'OPEN' THEN 'IN_SUPPORT' ELSE 'CLOSED' END AS outcome
    FROM cohort c
    -- Placements begun by the snapshot date, per case: is one of them still in force?
    LEFT JOIN (SELECT pl.case_id, bool_or(pl.separated_on IS NULL OR pl.separated_on > $1::date) AS employed
                 FROM statistics_placements() pl WHERE pl.start_date <= $1::date GROUP BY pl.case_id) pl
      ON pl.case_id = c.case_id
   WHERE ${inPeriod(INTAKE)}`;

const NEW_CLIENTS = `WITH ${COHORT}
  SELECT to_char(${INTAKE}, 'YYYY-MM') AS month, c.prefecture_code, c.disability_certificate AS certificate,
         c.has_disease, c.org_kind, count(*)::int AS n
    FROM cohort c
   WHERE ${inPeriod(INTAKE)}
   GROUP BY 1, 2, 3, 4, 5`;

/** At m months after the start: not reached yet, separated before it, or still employed. */
const retention = (m: number) => `CASE WHEN (pl.start_date + interval '${m} months')::date > $1::date THEN 'PENDING'
  WHEN pl.separated_on < (pl.start_date + interval '${m} months')::date THEN 'SEPARATED' ELSE 'RETAINED' END`;

/** The placements (and below the referrals) carry their client's classes: one pass over the cohort per table. */
const PLACEMENTS = `
  SELECT to_char(pl.start_date, 'YYYY-MM') AS month, pl.prefecture_code, pl.disability_certificate AS certificate,
         pl.has_disease, pl.org_kind, ${RETENTION_MONTHS.map((m) => `${retention(m)} AS r${m}`).join(', ')},
         count(*)::int AS n
    FROM statistics_placements() pl
   WHERE ${inPeriod('pl.start_date')}
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`;

/** Answered when the recipient accepted or declined (responded_at); a cancellation before that is not an answer. */
const RESULT = `CASE WHEN r.status = 'DECLINED' THEN 'DECLINED' WHEN r.responded_at IS NOT NULL THEN 'ACCEPTED'
  WHEN r.status = 'CANCELLED' THEN 'CANCELLED' ELSE 'PENDING' END`;
const SENT_ON = `${jst('r.sent_at')}::date`;
/** The referrals sent for the cohort's cases (by their owners): route = the owner's kind → the recipient's. */
const REFERRALS_FROM = `FROM statistics_referrals() r WHERE ${inPeriod(SENT_ON)}`;

const REFERRALS = `
  SELECT to_char(${SENT_ON}, 'YYYY-MM') AS month, r.org_kind, r.to_kind, r.prefecture_code,
         r.disability_certificate AS certificate, r.has_disease, ${RESULT} AS result, count(*)::int AS n
  ${REFERRALS_FROM}
   GROUP BY 1, 2, 3, 4, 5, 6, 7`;

const LEAD_TIMES = `
  SELECT r.org_kind, r.to_kind, GROUPING(r.org_kind, r.to_kind) <> 0 AS all_routes, count(*)::int AS answered,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.responded_at - r.sent_at) / 86400)
           AS median_days
  ${REFERRALS_FROM} AND r.responded_at IS NOT NULL
   GROUP BY GROUPING SETS ((r.org_kind, r.to_kind), ())`;

export interface CohortParams {
  snapshotDate: string;
  from: string | null;
  to: string | null;
}

/**
 * Every query here reads the whole cohort, so hash joins are right at any size. Left to itself, the planner chose
 * nested loops that rescan the cohort per row whenever the tables had no statistics yet (after a bulk import it
 * estimated one row): minutes at 20,000 clients instead of a second. A cursor is planned for its whole result, not
 * its first rows. And no JIT: it spent two seconds compiling a query that runs in one. The settings are local to the
 * export's read transaction.
 */
async function planForWholeCohort(tx: Tx): Promise<void> {
  await tx.query(
    `SELECT set_config('enable_nestloop', 'off', true), set_config('cursor_tuple_fraction', '1', true),
            set_config('jit', 'off', true)`,
  );
}

const paramsOf = (p: CohortParams) => [p.snapshotDate, p.from, p.to];

interface RecordRow {
  birth_date: string;
  prefecture_code: string;
  designated_disease_numbers: number[];
  org_kind: OrganizationKind;
  via_consent: boolean;
  intake_on: string;
  outcome: ExportOutcome;
}

/** How many rows one FETCH reads: the job's memory holds one batch of raw rows at a time. */
export const COHORT_FETCH = 2000;

/** How many rows the record-level cohort had, and how many of them came through a grant naming the requester. */
export interface CohortCount {
  count: number;
  viaConsent: number;
}

/**
 * Streams the record-level cohort through a server-side cursor, one batch at a time, into `take` (the encoder).
 * Only the encoder's compact codes outlive a batch.
 */
export async function streamCohort(tx: Tx, p: CohortParams, take: (s: ExportSubject) => void): Promise<CohortCount> {
  await planForWholeCohort(tx);
  await tx.query(`DECLARE export_cohort NO SCROLL CURSOR FOR ${RECORDS}`, paramsOf(p));
  let n = 0;
  let viaConsent = 0;
  for (;;) {
    const rows: RecordRow[] = await tx.query(`FETCH FORWARD ${COHORT_FETCH} FROM export_cohort`);
    for (const r of rows) {
      take({
        birthDate: r.birth_date,
        prefectureCode: r.prefecture_code,
        designatedDiseaseNumbers: r.designated_disease_numbers,
        organizationKind: r.org_kind,
        dates: { intakeOn: r.intake_on },
        outcome: EXPORT_OUTCOME_LABELS[r.outcome],
      });
      if (r.via_consent) viaConsent++;
    }
    n += rows.length;
    if (rows.length < COHORT_FETCH) break;
  }
  await tx.query('CLOSE export_cohort');
  return { count: n, viaConsent };
}

interface Grouped {
  month: string;
  prefecture_code: string;
  certificate: string | null;
  has_disease: boolean;
  /** The kind of the organization holding the case. */
  org_kind: OrganizationKind;
  n: number;
}

/** The counts behind the aggregate tables, grouped in SQL (the result grows with the dimensions, not the cohort). */
export async function readAggregateInput(tx: Tx, p: CohortParams): Promise<AggregateInput> {
  await planForWholeCohort(tx);
  const params = paramsOf(p);
  const common = (r: Grouped) => ({
    fiscalYear: fiscalYearLabel(fiscalYear(`${r.month}-01`)),
    region: regionOf(r.prefecture_code),
    certificate: certificateClass(r.certificate, r.has_disease),
  });
  const newClients: Grouped[] = await tx.query(NEW_CLIENTS, params);
  const placements: (Grouped & Record<`r${number}`, RetentionState>)[] = await tx.query(PLACEMENTS, params);
  const referrals: (Grouped & { to_kind: string; result: ReferralResult })[] = await tx.query(REFERRALS, params);
  const leadTimes: {
    org_kind: OrganizationKind | null;
    to_kind: string | null;
    all_routes: boolean;
    answered: number;
    median_days: number | null;
  }[] = await tx.query(LEAD_TIMES, params);

  const months = [...newClients, ...placements, ...referrals].map((r) => r.month).sort();
  const first = p.from ?? (months[0] ? `${months[0]}-01` : p.snapshotDate);
  const last = p.to && p.to < p.snapshotDate ? p.to : p.snapshotDate;
  const fiscalYears: string[] = [];
  for (let fy = fiscalYear(first); fy <= Math.max(fiscalYear(first), fiscalYear(last)); fy++) {
    fiscalYears.push(fiscalYearLabel(fy));
  }
  const cell = (values: Record<string, string>, n: number): CrossTabCell => ({ values, count: n });
  return {
    fiscalYears,
    newClients: newClients.map((r) =>
      cell({ ...common(r), organizationKind: ORGANIZATION_KIND_LABELS[r.org_kind] }, r.n),
    ),
    placements: placements.map((r) =>
      cell(
        {
          ...common(r),
          organizationKind: ORGANIZATION_KIND_LABELS[r.org_kind],
          ...Object.fromEntries(RETENTION_MONTHS.map((m) => [`retention${m}`, RETENTION_STATE_LABELS[r[`r${m}`]]])),
        },
        r.n,
      ),
    ),
    referrals: referrals.map((r) =>
      cell({ ...common(r), route: routeLabel(r.org_kind, r.to_kind), result: REFERRAL_RESULT_LABELS[r.result] }, r.n),
    ),
    leadTimes: leadTimes.map((l) => ({
      route: l.all_routes ? null : routeLabel(l.org_kind!, l.to_kind!),
      answered: l.answered,
      medianDays: l.median_days === null ? null : Number(l.median_days),
    })),
  };
}
