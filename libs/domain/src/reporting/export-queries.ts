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
import { EXPORT_OUTCOME_LABELS, STATISTICS_CATEGORIES, type ExportOutcome } from './report-export.model.js';

/**
 * The SQL of the export job, all of it run in the job's one REPEATABLE READ transaction acting for the requesting
 * organization, so the record-level rows and every aggregate table describe the same snapshot.
 *
 * Parameters of every query: $1 organization, $2 the categories a grant must cover, $3 the snapshot instant, $4 the
 * snapshot's date in Japan, $5/$6 the export's period (dates, either open).
 *
 * The cohort: the organization's clients for whom it holds a grant with the purpose STATISTICS covering the
 * categories the export reads, granted before the snapshot, not withdrawn in the snapshot (a withdrawal committed
 * before the snapshot is visible and excludes; one committed after it is not) and not expired at the snapshot
 * instant. The clients' fields come through statistics_subjects: the organization's own clients, only the fields an
 * export reads (birth date, prefecture, designated diseases, certificate). Placements and referrals are reached
 * through the organization's case of the client (indexed by case), so the plans stay linear even before the tables
 * have statistics (a bulk import): no join may rescan the cohort per row.
 */
const CONSENTED = `consented AS (
  SELECT p.id, p.birth_date, p.prefecture_code, p.designated_disease_numbers, p.disability_certificate,
         cardinality(p.designated_disease_numbers) > 0 AS has_disease
    FROM statistics_subjects p
   WHERE p.org_id = $1 AND EXISTS (
     SELECT 1 FROM consent_grants g
      WHERE g.org_id = $1 AND g.client_id = p.id AND 'STATISTICS' = ANY (g.purposes) AND g.categories @> $2::text[]
        AND g.withdrawn_at IS NULL AND g.granted_at <= $3::timestamptz
        AND (g.expires_at IS NULL OR g.expires_at > $3::timestamptz)))`;

const jst = (column: string) => `(${column} AT TIME ZONE 'Asia/Tokyo')`;
const inPeriod = (date: string) =>
  `${date} BETWEEN coalesce($5::date, '-infinity'::date) AND least(coalesce($6::date, 'infinity'::date), $4::date)`;

/** The owner's case opened the client's support: its date is the intake (受付) date. */
const INTAKE = `${jst('c.opened_at')}::date`;

/** One row per client of the cohort whose intake lies in the period: what the record-level export reads. */
const RECORDS = `WITH ${CONSENTED}
  SELECT to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.prefecture_code, p.designated_disease_numbers,
         to_char(${INTAKE}, 'YYYY-MM-DD') AS intake_on,
         CASE WHEN pl.employed THEN 'EMPLOYED' WHEN pl.case_id IS NOT NULL THEN 'SEPARATED'
              WHEN c.status = 'OPEN' THEN 'IN_SUPPORT' ELSE 'CLOSED' END AS outcome
    FROM consented p
    JOIN cases c ON c.org_id = $1 AND c.client_id = p.id
    -- Placements begun by the snapshot date, per case: is one of them still in force?
    LEFT JOIN (SELECT pl.case_id, bool_or(pl.separated_on IS NULL OR pl.separated_on > $4::date) AS employed
                 FROM placements pl WHERE pl.org_id = $1 AND pl.start_date <= $4::date GROUP BY pl.case_id) pl
      ON pl.case_id = c.id
   WHERE ${inPeriod(INTAKE)}`;

const NEW_CLIENTS = `WITH ${CONSENTED}
  SELECT to_char(${INTAKE}, 'YYYY-MM') AS month, p.prefecture_code, p.disability_certificate AS certificate,
         p.has_disease, count(*)::int AS n
    FROM consented p JOIN cases c ON c.org_id = $1 AND c.client_id = p.id
   WHERE ${inPeriod(INTAKE)}
   GROUP BY 1, 2, 3, 4`;

/** At m months after the start: not reached yet, separated before it, or still employed. */
const retention = (m: number) => `CASE WHEN (pl.start_date + interval '${m} months')::date > $4::date THEN 'PENDING'
  WHEN pl.separated_on < (pl.start_date + interval '${m} months')::date THEN 'SEPARATED' ELSE 'RETAINED' END`;

const PLACEMENTS = `WITH ${CONSENTED}
  SELECT to_char(pl.start_date, 'YYYY-MM') AS month, p.prefecture_code, p.disability_certificate AS certificate,
         p.has_disease, ${RETENTION_MONTHS.map((m) => `${retention(m)} AS r${m}`).join(', ')}, count(*)::int AS n
    FROM consented p
    JOIN cases c ON c.org_id = $1 AND c.client_id = p.id
    JOIN placements pl ON pl.org_id = $1 AND pl.case_id = c.id
   WHERE ${inPeriod('pl.start_date')}
   GROUP BY 1, 2, 3, 4, 5, 6, 7`;

/** Answered when the recipient accepted or declined (responded_at); a cancellation before that is not an answer. */
const RESULT = `CASE WHEN r.status = 'DECLINED' THEN 'DECLINED' WHEN r.responded_at IS NOT NULL THEN 'ACCEPTED'
  WHEN r.status = 'CANCELLED' THEN 'CANCELLED' ELSE 'PENDING' END`;
const SENT_ON = `${jst('r.sent_at')}::date`;
const REFERRALS_FROM = `FROM consented p
    JOIN cases c ON c.org_id = $1 AND c.client_id = p.id
    JOIN referrals r ON r.org_id = $1 AND r.from_case_id = c.id
    JOIN organizations t ON t.id = r.to_org_id
   WHERE r.sent_at IS NOT NULL AND ${inPeriod(SENT_ON)}`;

const REFERRALS = `WITH ${CONSENTED}
  SELECT to_char(${SENT_ON}, 'YYYY-MM') AS month, t.kind AS to_kind, p.prefecture_code,
         p.disability_certificate AS certificate, p.has_disease, ${RESULT} AS result, count(*)::int AS n
  ${REFERRALS_FROM}
   GROUP BY 1, 2, 3, 4, 5, 6`;

const LEAD_TIMES = `WITH ${CONSENTED}
  SELECT t.kind AS to_kind, GROUPING(t.kind) = 1 AS all_routes, count(*)::int AS answered,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.responded_at - r.sent_at) / 86400)
           AS median_days
  ${REFERRALS_FROM} AND r.responded_at IS NOT NULL
   GROUP BY GROUPING SETS ((t.kind), ())`;

export interface CohortParams {
  orgId: string;
  /** The organization's kind: the organization-kind column of every row. */
  orgKind: OrganizationKind;
  snapshotAt: Date;
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

const paramsOf = (p: CohortParams) => [p.orgId, STATISTICS_CATEGORIES, p.snapshotAt, p.snapshotDate, p.from, p.to];

interface RecordRow {
  birth_date: string;
  prefecture_code: string;
  designated_disease_numbers: number[];
  intake_on: string;
  outcome: ExportOutcome;
}

/** How many rows one FETCH reads: the job's memory holds one batch of raw rows at a time. */
export const COHORT_FETCH = 2000;

/**
 * Streams the record-level cohort through a server-side cursor, one batch at a time, into `take` (the encoder).
 * Only the encoder's compact codes outlive a batch.
 */
export async function streamCohort(tx: Tx, p: CohortParams, take: (s: ExportSubject) => void): Promise<number> {
  await planForWholeCohort(tx);
  await tx.query(`DECLARE export_cohort NO SCROLL CURSOR FOR ${RECORDS}`, paramsOf(p));
  let n = 0;
  for (;;) {
    const rows: RecordRow[] = await tx.query(`FETCH FORWARD ${COHORT_FETCH} FROM export_cohort`);
    for (const r of rows) {
      take({
        birthDate: r.birth_date,
        prefectureCode: r.prefecture_code,
        designatedDiseaseNumbers: r.designated_disease_numbers,
        organizationKind: p.orgKind,
        dates: { intakeOn: r.intake_on },
        outcome: EXPORT_OUTCOME_LABELS[r.outcome],
      });
    }
    n += rows.length;
    if (rows.length < COHORT_FETCH) break;
  }
  await tx.query('CLOSE export_cohort');
  return n;
}

interface Grouped {
  month: string;
  prefecture_code: string;
  certificate: string | null;
  has_disease: boolean;
  n: number;
}

/** The counts behind the aggregate tables, grouped in SQL (the result grows with the dimensions, not the cohort). */
export async function readAggregateInput(tx: Tx, p: CohortParams): Promise<AggregateInput> {
  const orgKind = p.orgKind;
  await planForWholeCohort(tx);
  const params = paramsOf(p);
  const kindLabel = ORGANIZATION_KIND_LABELS[orgKind];
  const common = (r: Grouped) => ({
    fiscalYear: fiscalYearLabel(fiscalYear(`${r.month}-01`)),
    region: regionOf(r.prefecture_code),
    certificate: certificateClass(r.certificate, r.has_disease),
  });
  const newClients: Grouped[] = await tx.query(NEW_CLIENTS, params);
  const placements: (Grouped & Record<`r${number}`, RetentionState>)[] = await tx.query(PLACEMENTS, params);
  const referrals: (Grouped & { to_kind: string; result: ReferralResult })[] = await tx.query(REFERRALS, params);
  const leadTimes: { to_kind: string | null; all_routes: boolean; answered: number; median_days: number | null }[] =
    await tx.query(LEAD_TIMES, params);

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
    newClients: newClients.map((r) => cell({ ...common(r), organizationKind: kindLabel }, r.n)),
    placements: placements.map((r) =>
      cell(
        {
          ...common(r),
          organizationKind: kindLabel,
          ...Object.fromEntries(RETENTION_MONTHS.map((m) => [`retention${m}`, RETENTION_STATE_LABELS[r[`r${m}`]]])),
        },
        r.n,
      ),
    ),
    referrals: referrals.map((r) =>
      cell({ ...common(r), route: routeLabel(orgKind, r.to_kind), result: REFERRAL_RESULT_LABELS[r.result] }, r.n),
    ),
    leadTimes: leadTimes.map((l) => ({
      route: l.all_routes ? null : routeLabel(orgKind, l.to_kind!),
      answered: l.answered,
      medianDays: l.median_days === null ? null : Number(l.median_days),
    })),
  };
}
