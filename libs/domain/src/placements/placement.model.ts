import { queryRows, type ConditionColumns, type Tx } from '@tasuki/platform';

/** Hiring route (PRODUCT.md §2). */
export const PLACEMENT_ROUTES = ['DISABILITY_VACANCY', 'GENERAL_OPEN', 'GENERAL_CLOSED'] as const;
export type PlacementRoute = (typeof PLACEMENT_ROUTES)[number];
export const PLACEMENT_ROUTE_LABELS: Record<PlacementRoute, string> = {
  DISABILITY_VACANCY: '障害者求人',
  GENERAL_OPEN: '一般・開示',
  GENERAL_CLOSED: '一般・非開示',
};

/**
 * Weekly working hours, in the bands the 障害者雇用率 (employment quota) counts by: under 10 hours is not counted;
 * 10 to under 20 is 特定短時間労働; 20 to under 30 is 短時間労働; 30 and over is 常時雇用. (Enum values cannot start with
 * a digit, hence the names.)
 */
export const WEEKLY_HOURS_BANDS = ['UNDER_10', 'FROM_10_UNDER_20', 'FROM_20_UNDER_30', 'FROM_30'] as const;
export type WeeklyHoursBand = (typeof WEEKLY_HOURS_BANDS)[number];
export const WEEKLY_HOURS_BAND_LABELS: Record<WeeklyHoursBand, string> = {
  UNDER_10: '週10時間未満',
  FROM_10_UNDER_20: '週10時間以上20時間未満 (特定短時間)',
  FROM_20_UNDER_30: '週20時間以上30時間未満 (短時間)',
  FROM_30: '週30時間以上',
};

export const EMPLOYMENT_TYPES = ['FULL_TIME', 'CONTRACT', 'PART_TIME', 'DISPATCH', 'OTHER'] as const;
export type EmploymentType = (typeof EMPLOYMENT_TYPES)[number];
export const EMPLOYMENT_TYPE_LABELS: Record<EmploymentType, string> = {
  FULL_TIME: '正社員',
  CONTRACT: '契約社員',
  PART_TIME: 'パート・アルバイト',
  DISPATCH: '派遣社員',
  OTHER: 'その他',
};

/**
 * The follow-ups a placement schedules, each due this long after the start date. Months are calendar months in
 * PostgreSQL's date arithmetic, which clamps to the month's end (1/31 + 1 month = 2/28, or 2/29 in a leap year), and
 * each is counted from the start date, not from the previous follow-up (1/31 + 3 months = 4/30).
 */
export const FOLLOW_UP_MILESTONES = [
  ['W2', '14 days'],
  ['M1', '1 month'],
  ['M3', '3 months'],
  ['M6', '6 months'],
  ['M12', '12 months'],
] as const;
export type FollowUpMilestone = (typeof FOLLOW_UP_MILESTONES)[number][0];
export const FOLLOW_UP_MILESTONE_LABELS: Record<FollowUpMilestone, string> = {
  W2: '2週間',
  M1: '1か月',
  M3: '3か月',
  M6: '6か月',
  M12: '12か月',
};

export const FOLLOW_UP_STATUSES = ['SCHEDULED', 'DONE', 'MISSED', 'CANCELLED'] as const;
export type FollowUpStatus = (typeof FOLLOW_UP_STATUSES)[number];
export const FOLLOW_UP_STATUS_LABELS: Record<FollowUpStatus, string> = {
  SCHEDULED: '予定',
  DONE: '実施済',
  MISSED: '未実施',
  CANCELLED: '中止',
};

export const FOLLOW_UP_METHODS = ['VISIT', 'PHONE', 'ONLINE', 'EMAIL', 'OTHER'] as const;
export type FollowUpMethod = (typeof FOLLOW_UP_METHODS)[number];
export const FOLLOW_UP_METHOD_LABELS: Record<FollowUpMethod, string> = {
  VISIT: '訪問',
  PHONE: '電話',
  ONLINE: 'オンライン',
  EMAIL: 'メール',
  OTHER: 'その他',
};

export interface PlacementRow {
  id: string;
  org_id: string;
  case_id: string;
  client_id: string;
  employer_name: string;
  start_date: string;
  employment_type: EmploymentType | null;
  route: PlacementRoute;
  weekly_hours_band: WeeklyHoursBand;
  separated_on: string | null;
  separation_reason: string | null;
  created_at: Date;
  separation_recorded_at: Date | null;
}

export const PLACEMENT_COLUMNS = `p.id, p.org_id, p.case_id, p.client_id, p.employer_name,
  to_char(p.start_date, 'YYYY-MM-DD') AS start_date, p.employment_type, p.route, p.weekly_hours_band,
  to_char(p.separated_on, 'YYYY-MM-DD') AS separated_on, p.separation_reason, p.created_at, p.separation_recorded_at`;

export interface PlacementView {
  id: string;
  caseId: string;
  employerName: string;
  startDate: string;
  employmentType: EmploymentType | null;
  route: PlacementRoute;
  weeklyHoursBand: WeeklyHoursBand;
  separatedOn: string | null;
  separationReason: string | null;
  recordedAt: Date;
  separationRecordedAt: Date | null;
}

export function toPlacementView(r: PlacementRow): PlacementView {
  return {
    id: r.id,
    caseId: r.case_id,
    employerName: r.employer_name,
    startDate: r.start_date,
    employmentType: r.employment_type,
    route: r.route,
    weeklyHoursBand: r.weekly_hours_band,
    separatedOn: r.separated_on,
    separationReason: r.separation_reason,
    recordedAt: r.created_at,
    separationRecordedAt: r.separation_recorded_at,
  };
}

export interface FollowUpRow {
  id: string;
  org_id: string;
  case_id: string;
  placement_id: string;
  milestone: FollowUpMilestone;
  due_on: string;
  status: FollowUpStatus;
  done_at: Date | null;
  method: FollowUpMethod | null;
  status_changed_at: Date | null;
}

// The note is not among the columns: it is NOTES data, read on the case's (audited) timeline.
export const FOLLOW_UP_COLUMNS = `f.id, f.org_id, f.case_id, f.placement_id, f.milestone,
  to_char(f.due_on, 'YYYY-MM-DD') AS due_on, f.status, f.done_at, f.method, f.status_changed_at`;

export interface FollowUpView {
  id: string;
  caseId: string;
  placementId: string;
  milestone: FollowUpMilestone;
  dueOn: string;
  status: FollowUpStatus;
  doneAt: Date | null;
  method: FollowUpMethod | null;
  statusChangedAt: Date | null;
}

export function toFollowUpView(r: FollowUpRow): FollowUpView {
  return {
    id: r.id,
    caseId: r.case_id,
    placementId: r.placement_id,
    milestone: r.milestone,
    dueOn: r.due_on,
    status: r.status,
    doneAt: r.done_at,
    method: r.method,
    statusChangedAt: r.status_changed_at,
  };
}

/** The CASL condition fields of a Placement over a table alias whose rows carry `org_id` and `case_id`. */
function caseScoped(alias: string): ConditionColumns {
  return {
    orgId: (p) => `${alias}.org_id = ${p}::uuid`,
    assigneeIds: (p) =>
      `EXISTS (SELECT 1 FROM case_assignments a WHERE a.org_id = ${alias}.org_id AND a.case_id = ${alias}.case_id
                AND a.user_id = ${p}::uuid AND a.to_at IS NULL)`,
  };
}
/** Placement conditions over `placements p`. */
export const PLACEMENT_CONDITIONS = caseScoped('p');
/** Placement conditions over `follow_ups f`: a follow-up is reached as part of its placement. */
export const FOLLOW_UP_CONDITIONS = caseScoped('f');

/** A case's earliest SCHEDULED follow-up, as the instant its due date begins in Japan; `c` is the case. */
export const NEXT_FOLLOW_UP_SQL = `(SELECT min(f.due_on) FROM follow_ups f
    WHERE f.org_id = c.org_id AND f.case_id = c.id AND f.status = 'SCHEDULED')::timestamp AT TIME ZONE 'Asia/Tokyo'`;

/**
 * Cancels (中止) a case's follow-ups still SCHEDULED — only those of one placement due after a date, when given —
 * and returns how many. What was DONE or MISSED stays as it was.
 */
export async function cancelScheduledFollowUps(
  tx: Tx,
  caseId: string,
  only: { placementId?: string; dueAfter?: string } = {},
): Promise<number> {
  const rows = await queryRows(
    tx,
    `UPDATE follow_ups SET status = 'CANCELLED', status_changed_at = now()
      WHERE case_id = $1 AND status = 'SCHEDULED' AND ($2::uuid IS NULL OR placement_id = $2)
        AND ($3::date IS NULL OR due_on > $3) RETURNING id`,
    [caseId, only.placementId ?? null, only.dueAfter ?? null],
  );
  return rows.length;
}

export interface PlacementInput {
  caseId: string;
  employerName: string;
  startDate: string;
  route: string;
  weeklyHoursBand: string;
  employmentType?: string | null;
}

export interface FollowUpInput {
  method: string;
  note?: string | null;
  doneAt?: Date | null;
}

export interface SeparationInput {
  separatedOn: string;
  reason: string;
}
