import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The MUNICIPALITY scope of anonymized reporting (PRODUCT.md §3, issue 6 item 4): an export of a municipality covers
 * its own consenting clients and the clients of other organizations whose ACTIVE grant covers STATISTICS and names
 * the municipality among its recipients. Every other organization's export covers its own clients only.
 *
 * The export job reads its cohort through three set-returning functions instead of the tables, so that one
 * statement of the consent rule decides both parts of the cohort:
 *
 * - `statistics_cases()`: one row per cohort client's case at its owner (the owner's case opened the support): the
 *   owner's kind, whether the client came through a grant naming the reader, birth date, prefecture, designated
 *   diseases, certificate, the case's opening and status. No name, kana, contact, municipality, free text, client or
 *   organization id; the case id only to reach the two below.
 * - `statistics_placements()`: start and separation dates of the placements of those cases.
 * - `statistics_referrals()`: the sent referrals of those cases: the recipient's kind, status, sent and answered.
 *   Both with the client's classes the aggregate tables count by (the owner's kind, prefecture, certificate, whether
 *   any designated disease).
 *
 * Another organization's rows stay behind its RLS (forced; the application role still cannot read them from the
 * tables): the functions are SECURITY DEFINER, owned by the migrating (owner) role, with search_path pinned, executable
 * by the application role only, and they answer only the worker (`app.system`) acting for an organization. The
 * instant is the transaction's (`now()`: in the export's REPEATABLE READ transaction, its snapshot), and the
 * categories are fixed here, so a caller cannot widen the cohort with an earlier instant or fewer categories.
 *
 * The owner role must not be subject to the tables' forced RLS (a superuser or BYPASSRLS role, as the compose file
 * and the embedded PostgreSQL use): under an owner held to RLS the functions would see the acting organization's rows
 * only, and the consented part of the cohort would be empty (closed, not open).
 */
export class MunicipalityReporting1764600000000 implements MigrationInterface {
  name = 'MunicipalityReporting1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // The consent rule, once: ACTIVE at the instant (granted by it, not withdrawn, not expired), STATISTICS, and the
    // categories the export reads (IDENTITY: age; CONTACT: prefecture; HEALTH: diseases and certificate; EMPLOYMENT:
    // placements). The same as the own-organization cohort of 1764500000000.
    const active = (g: string) => `'STATISTICS' = ANY (${g}.purposes)
      AND ${g}.categories @> ARRAY['IDENTITY','CONTACT','HEALTH','EMPLOYMENT']::text[]
      AND ${g}.withdrawn_at IS NULL AND ${g}.granted_at <= now() AND (${g}.expires_at IS NULL OR ${g}.expires_at > now())`;

    // Not granted to anyone: inlined into the three functions below, which run it as the owner with their pinned
    // search_path (a function with its own SET is never inlined). A subject is a client at its owner (the clients
    // row's organization), with the owner's case and a grant of the owner; first the acting organization's own,
    // whatever the grant's recipients (the data does not leave the organization), then — only for a MUNICIPALITY —
    // other organizations' clients whose grant names it. EXISTS: a client with two grants is one subject. The tenant
    // settings are read once per statement (scalar subqueries), not once per row.
    const me = `(SELECT app_org_id())`;
    const subjects = (viaConsent: boolean, where: string, grant: string) => `
        SELECT c.org_id, k.id, ${viaConsent}, c.birth_date, c.prefecture_code, c.designated_disease_numbers,
               c.disability_certificate, k.opened_at, k.status
          FROM clients c JOIN cases k ON k.org_id = c.org_id AND k.client_id = c.id
         WHERE (SELECT app_is_system()) AND ${where}
           AND EXISTS (SELECT 1 FROM consent_grants g
                        WHERE g.org_id = c.org_id AND g.client_id = c.id AND ${grant} AND ${active('g')})`;
    await q.query(`
      CREATE FUNCTION statistics_cohort_cases()
      RETURNS TABLE (org_id uuid, case_id uuid, via_consent boolean, birth_date date, prefecture_code text,
        designated_disease_numbers integer[], disability_certificate text, opened_at timestamptz, status text)
      LANGUAGE sql STABLE AS $$
        ${subjects(false, `c.org_id = ${me}`, 'true')}
        UNION ALL
        ${subjects(
          true,
          `c.org_id <> ${me} AND (SELECT o.kind FROM organizations o WHERE o.id = ${me}) = 'MUNICIPALITY'`,
          `g.recipient_org_ids @> ARRAY[${me}]`,
        )}
      $$`);
    await q.query(`REVOKE ALL ON FUNCTION statistics_cohort_cases() FROM PUBLIC`);

    await q.query(`
      CREATE FUNCTION statistics_cases()
      RETURNS TABLE (case_id uuid, org_kind text, via_consent boolean, birth_date date, prefecture_code text,
        designated_disease_numbers integer[], disability_certificate text, opened_at timestamptz, status text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT s.case_id, o.kind, s.via_consent, s.birth_date, s.prefecture_code, s.designated_disease_numbers,
               s.disability_certificate, s.opened_at, s.status
          FROM statistics_cohort_cases() s JOIN organizations o ON o.id = s.org_id
      $$`);
    // The facts carry the client's classes that the aggregate tables count them by (the owner's kind, prefecture,
    // certificate, whether any designated disease), so that a table's query computes the cohort once.
    const classes = `o.kind, s.prefecture_code, s.disability_certificate, cardinality(s.designated_disease_numbers) > 0`;
    const classColumns = `org_kind text, prefecture_code text, disability_certificate text, has_disease boolean`;
    await q.query(`
      CREATE FUNCTION statistics_placements()
      RETURNS TABLE (case_id uuid, ${classColumns}, start_date date, separated_on date)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT s.case_id, ${classes}, pl.start_date, pl.separated_on
          FROM statistics_cohort_cases() s
          JOIN organizations o ON o.id = s.org_id
          JOIN placements pl ON pl.org_id = s.org_id AND pl.case_id = s.case_id
      $$`);
    await q.query(`
      CREATE FUNCTION statistics_referrals()
      RETURNS TABLE (case_id uuid, ${classColumns}, to_kind text, status text, sent_at timestamptz,
        responded_at timestamptz)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT s.case_id, ${classes}, t.kind, r.status, r.sent_at, r.responded_at
          FROM statistics_cohort_cases() s
          JOIN organizations o ON o.id = s.org_id
          JOIN referrals r ON r.org_id = s.org_id AND r.from_case_id = s.case_id
          JOIN organizations t ON t.id = r.to_org_id
         WHERE r.sent_at IS NOT NULL
      $$`);
    for (const f of ['statistics_cases()', 'statistics_placements()', 'statistics_referrals()']) {
      await q.query(`REVOKE ALL ON FUNCTION ${f} FROM PUBLIC`);
      await q.query(`GRANT EXECUTE ON FUNCTION ${f} TO tasuki_app`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION statistics_referrals(), statistics_placements(), statistics_cases()`);
    await q.query(`DROP FUNCTION statistics_cohort_cases()`);
  }
}
