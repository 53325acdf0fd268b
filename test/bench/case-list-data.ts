import type pg from 'pg';
import { factories } from '../harness/factories.js';

export interface CaseListOrg {
  id: string;
  coordinatorId: string;
  cases: number;
}

const FAMILY = ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤', '吉田', '山田'];
const GIVEN = ['花子', '太郎', '陽子', '健一', '美咲', '大輔', '裕子', '翔太', '恵子', '直樹', '明美'];

/**
 * The case list's data for `orgs` organizations holding `cases` cases in all, sizes skewed 1:5 between them, most
 * of them small. Per case: a client owned by the organization, a current assignee among
 * five supporters (a tenth unassigned, a fifth with an ended assignment before), 15% closed, phases spread, last
 * activity over 400 days; placed cases have a placement and its five follow-ups; a tenth of the open cases a SENT
 * referral to the next organization, and a third of those ACCEPTED with the recipient's own case (so the recipient's
 * list reads clients it does not own, through the consent wall). Deterministic (setseed). Ends with VACUUM ANALYZE.
 */
export async function seedCaseList(owner: pg.Pool, opts: { orgs: number; cases: number }): Promise<CaseListOrg[]> {
  const f = factories(owner);
  const count = Math.max(opts.orgs, 2);
  // Most organizations small, a few five times larger (at 250,000 over 300: about 600 to 3,000 cases each).
  const weights = Array.from({ length: count }, (_, i) =>
    i < opts.orgs ? 1 + 4 * (opts.orgs > 1 ? (i / (opts.orgs - 1)) ** 9 : 0) : 0,
  );
  const total = weights.reduce((a, b) => a + b, 0);
  const orgs: (CaseListOrg & { supporters: string[] })[] = [];
  for (let i = 0; i < count; i++) {
    const org = await f.organization({ kind: i % 3 === 0 ? 'HELLO_WORK' : 'VOCATIONAL_CENTER' });
    const coordinator = await f.member(org.id, ['COORDINATOR']);
    const supporters: string[] = [];
    for (let s = 0; s < 5; s++) supporters.push((await f.member(org.id, ['SUPPORTER'])).id);
    orgs.push({
      id: org.id,
      coordinatorId: coordinator.id,
      cases: Math.round((opts.cases * weights[i]!) / total),
      supporters,
    });
  }
  const c = await owner.connect();
  try {
    await c.query('SELECT setseed(0.42)');
    for (const [i, org] of orgs.entries()) {
      if (org.cases === 0) continue;
      await c.query(
        `WITH cl AS (
           INSERT INTO clients (id, org_id, family_name, given_name, birth_date, prefecture_code)
           SELECT gen_random_uuid(), $1, ($4::text[])[1 + i % cardinality($4::text[])],
                  ($5::text[])[1 + (i * 7) % cardinality($5::text[])], date '1950-01-01' + (i * 37) % 20000,
                  lpad((1 + i % 47)::text, 2, '0')
             FROM generate_series(1, $2) i
           RETURNING id),
         x AS (SELECT id, random() AS r, random() AS p FROM cl),
         cs AS (
           INSERT INTO cases (org_id, client_id, status, phase, closed_at, close_reason, opened_at, last_activity_at)
           SELECT $1, id, CASE WHEN r < 0.15 THEN 'CLOSED' ELSE 'OPEN' END,
                  CASE WHEN r < 0.15 THEN 'CLOSED'
                       ELSE (ARRAY['INTAKE','ASSESSMENT','PREPARATION','JOB_SEARCH','JOB_SEARCH','PLACED','RETENTION'])
                            [1 + floor(p * 7)::int] END,
                  CASE WHEN r < 0.15 THEN now() - interval '1 day' END, CASE WHEN r < 0.15 THEN '終結' END,
                  now() - interval '500 days', now() - random() * interval '400 days'
             FROM x
           RETURNING id, client_id, status),
         cur AS (
           INSERT INTO case_assignments (org_id, case_id, user_id, from_at)
           SELECT $1, id, ($3::uuid[])[1 + (row_number() OVER () % 5)], now() - interval '100 days'
             FROM cs WHERE random() >= 0.1
           RETURNING case_id)
         INSERT INTO case_assignments (org_id, case_id, user_id, from_at, to_at)
         SELECT $1, case_id, ($3::uuid[])[1 + ((row_number() OVER ()) + 2) % 5], now() - interval '300 days',
                now() - interval '100 days'
           FROM cur WHERE random() < 0.2`,
        [org.id, org.cases, org.supporters, FAMILY, GIVEN],
      );
      // Placements and their five follow-ups on placed cases; those due more than a week ago are done.
      await c.query(
        `WITH p AS (
           INSERT INTO placements (org_id, case_id, client_id, employer_name, start_date, route, weekly_hours_band)
           SELECT org_id, id, client_id, '株式会社テスト', current_date - (random() * 300)::int, 'DISABILITY_VACANCY',
                  'FROM_20_UNDER_30'
             FROM cases WHERE org_id = $1 AND status = 'OPEN' AND phase IN ('PLACED','RETENTION')
           RETURNING id, org_id, case_id, start_date),
         f AS (
           SELECT p.*, m.milestone, (p.start_date + m.offs)::date AS due_on
             FROM p CROSS JOIN (VALUES ('W2', interval '14 days'), ('M1', interval '1 month'),
               ('M3', interval '3 months'), ('M6', interval '6 months'), ('M12', interval '12 months')) m(milestone, offs))
         INSERT INTO follow_ups (org_id, case_id, placement_id, milestone, due_on, status, done_at, method,
           status_changed_at)
         SELECT org_id, case_id, id, milestone, due_on,
                CASE WHEN due_on < current_date - 7 THEN 'DONE' ELSE 'SCHEDULED' END,
                CASE WHEN due_on < current_date - 7 THEN due_on::timestamptz END,
                CASE WHEN due_on < current_date - 7 THEN 'PHONE' END,
                CASE WHEN due_on < current_date - 7 THEN due_on::timestamptz END
           FROM f`,
        [org.id],
      );
      // A tenth of the open cases refer their client to the next organization; a third of those were accepted
      // there and opened the recipient's own case of the client.
      const partner = orgs[(i + 1) % orgs.length]!;
      await c.query(
        `WITH g AS (
           INSERT INTO consent_grants (org_id, client_id, recipient_org_ids, purposes, categories, method, expires_at)
           SELECT c.org_id, c.client_id, ARRAY[$2]::uuid[], '{REFERRAL,INFO_SHARING}', '{IDENTITY,CONTACT}', 'WRITTEN',
                  now() + random() * interval '365 days'
             FROM cases c WHERE c.org_id = $1 AND c.status = 'OPEN' AND random() < 0.1
           RETURNING id, client_id),
         gr AS (SELECT g.*, random() < 0.33 AS accepted FROM g),
         rc AS (
           INSERT INTO cases (org_id, client_id, last_activity_at)
           SELECT $2, client_id, now() - random() * interval '100 days' FROM gr WHERE accepted
           RETURNING id, client_id),
         ra AS (
           INSERT INTO case_assignments (org_id, case_id, user_id)
           SELECT $2, id, ($3::uuid[])[1 + (row_number() OVER () % 5)] FROM rc)
         INSERT INTO referrals (org_id, to_org_id, client_id, from_case_id, to_case_id, consent_id, reason,
           shared_categories, status, sent_at, respond_by, received_at, responded_at)
         SELECT $1, $2, gr.client_id, c.id, rc.id, gr.id, 'ASSESSMENT', '{IDENTITY}',
                CASE WHEN gr.accepted THEN 'ACCEPTED' ELSE 'SENT' END, now() - interval '10 days',
                current_date - 3, CASE WHEN gr.accepted THEN now() - interval '9 days' END,
                CASE WHEN gr.accepted THEN now() - interval '8 days' END
           FROM gr JOIN cases c ON c.client_id = gr.client_id AND c.org_id = $1
           LEFT JOIN rc ON rc.client_id = gr.client_id`,
        [org.id, partner.id, partner.supporters],
      );
    }
  } finally {
    c.release();
  }
  await owner.query('VACUUM ANALYZE');
  const counts = await owner.query<{ org_id: string; n: number }>(
    'SELECT org_id, count(*)::int AS n FROM cases GROUP BY org_id',
  );
  const byOrg = new Map(counts.rows.map((r) => [r.org_id, r.n]));
  return orgs.map((o) => ({ id: o.id, coordinatorId: o.coordinatorId, cases: byOrg.get(o.id) ?? 0 }));
}
