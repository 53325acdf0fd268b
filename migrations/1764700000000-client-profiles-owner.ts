import type { MigrationInterface, QueryRunner } from 'typeorm';

const ALL = `ARRAY['IDENTITY','CONTACT','HEALTH','EMPLOYMENT','NOTES']::text[]`;

/**
 * What a recipient may read of client `c`: the body of `app_client_categories` for a non-owner, written out so that
 * the planner runs it as a subplan of the view's query instead of a call to a SQL function per row.
 */
const RECIPIENT_CATEGORIES = `coalesce((
  SELECT array_agg(DISTINCT cat ORDER BY cat)
    FROM referrals r
    JOIN consent_grants g ON g.id = r.consent_id
    CROSS JOIN LATERAL unnest(r.shared_categories) AS cat
   WHERE r.to_org_id = app_org_id() AND r.client_id = c.id
     AND r.status IN ('ACCEPTED','COMPLETED')
     AND g.withdrawn_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
     AND app_org_id() = ANY (g.recipient_org_ids)
     AND cat = ANY (g.categories)), '{}'::text[])`;

/** client_profiles with its categories expression given; the columns and their masking are unchanged. */
const view = (categories: string) => `
  CREATE OR REPLACE VIEW client_profiles WITH (security_barrier = true) AS
  SELECT c.id, c.org_id, v.cats AS visible_categories,
    CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.family_name END AS family_name,
    CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.given_name END AS given_name,
    CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.family_name_kana END AS family_name_kana,
    CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.given_name_kana END AS given_name_kana,
    CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.birth_date END AS birth_date,
    CASE WHEN 'IDENTITY' = ANY (v.cats) THEN c.sex END AS sex,
    CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.prefecture_code END AS prefecture_code,
    CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.municipality_code END AS municipality_code,
    CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.phone END AS phone,
    CASE WHEN 'CONTACT' = ANY (v.cats) THEN c.email END AS email,
    CASE WHEN 'HEALTH' = ANY (v.cats) THEN c.designated_disease_numbers END AS designated_disease_numbers,
    CASE WHEN 'HEALTH' = ANY (v.cats) THEN c.disability_certificate END AS disability_certificate,
    CASE WHEN 'EMPLOYMENT' = ANY (v.cats) THEN c.disclosure END AS disclosure
  FROM clients c
  CROSS JOIN LATERAL (SELECT ${categories} AS cats OFFSET 0) v
  WHERE app_org_id() IS NOT NULL AND cardinality(v.cats) > 0`;

/**
 * client_profiles without a function call per row. `app_client_categories` is a SQL function with a subquery, which
 * PostgreSQL cannot inline: every row paid a call — 40 µs for the owner, whose answer is always every category, and
 * 150–200 µs for a recipient (measured on 50-row pages; a recipient organization's list is mostly clients it does not
 * own). The owner's rows now get every category from an inlined comparison, and a recipient's rows the function's
 * own query as a subplan: the same predicate, so what a recipient sees is unchanged (`clients_read` keeps the
 * function). Inside the view the subquery reads referrals and consent_grants as the view's owner, without their RLS
 * policies, where the function read them under them; it changes nothing, as every row the predicate accepts — a
 * referral to the acting organization, the grant it relies on, naming that organization — is one those policies
 * show it.
 */
export class ClientProfilesOwner1764700000000 implements MigrationInterface {
  name = 'ClientProfilesOwner1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(view(`CASE WHEN c.org_id = app_org_id() THEN ${ALL} ELSE ${RECIPIENT_CATEGORIES} END`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(view('app_client_categories(c.id, c.org_id)'));
  }
}
