import { Injectable } from '@nestjs/common';
import { assertCan, badInput, Database, notFound, tenantScope, type RequestContext } from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { decodeCursor, pageSize, toPage, type Page } from '../shared/pagination.js';
import { SqlConditions } from '../shared/sql-conditions.js';
import {
  assertMunicipalityIn,
  assertPrefectureCode,
  cleanLine,
  cleanText,
  isUuid,
  uniqueOrFail,
} from '../shared/validation.js';
import {
  ORGANIZATION_COLUMNS,
  ORGANIZATION_KINDS,
  toOrganization,
  type CreateOrganizationInput,
  type Organization,
  type OrganizationFilter,
  type OrganizationRow,
} from './organization.model.js';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** The cross-tenant directory, sorted by name, keyset-paginated. */
  async list(
    ctx: RequestContext,
    filter: OrganizationFilter | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<Organization>> {
    assertCan(ctx, 'read', 'Organization');
    const limit = pageSize(first);
    const cursor = decodeCursor(after, 2);
    const filters = new SqlConditions();
    if (filter?.kind) {
      if (!ORGANIZATION_KINDS.includes(filter.kind)) throw badInput('filter.kind', '機関種別が正しくありません。');
      filters.add((p) => `kind = ${p}`, filter.kind);
    }
    if (filter?.prefectureCode) {
      filters.add(
        (p) => `prefecture_code = ${p}`,
        assertPrefectureCode('filter.prefectureCode', filter.prefectureCode),
      );
    }
    if (filter?.acceptsReferrals !== undefined && filter.acceptsReferrals !== null) {
      filters.add((p) => `accepts_referrals = ${p}`, filter.acceptsReferrals);
    }
    if (filter?.search) {
      const term = `%${escapeLike(cleanLine('filter.search', filter.search, { max: 100 }))}%`;
      filters.add((p) => `(name ILIKE ${p} OR array_to_string(services, ' ') ILIKE ${p})`, term);
    }
    const page = filters.copy();
    if (cursor) page.add((name, id) => `(name, id) > (${name}, ${id}::uuid)`, cursor[0], cursor[1]);
    const pageSql = `SELECT ${ORGANIZATION_COLUMNS} FROM organizations ${page.sql}
      ORDER BY name, id LIMIT ${page.param(limit + 1)}`;
    return this.db.run(tenantScope(ctx), async (tx) => {
      const rows: OrganizationRow[] = await tx.query(pageSql, page.params);
      const [{ count }]: { count: number }[] = await tx.query(
        `SELECT count(*)::int AS count FROM organizations ${filters.sql}`,
        filters.params,
      );
      return toPage(rows, limit, count, toOrganization, (r) => [r.name, r.id]);
    });
  }

  /** Loads directory entries by id (for field resolvers); unknown ids are simply absent. */
  async byIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, Organization>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows: OrganizationRow[] = await this.db.read(ctx, (tx) =>
      tx.query(`SELECT ${ORGANIZATION_COLUMNS} FROM organizations WHERE id = ANY($1::uuid[])`, [valid]),
    );
    return new Map(rows.map((r) => [r.id, toOrganization(r)]));
  }

  async get(ctx: RequestContext, id: string): Promise<Organization> {
    assertCan(ctx, 'read', 'Organization');
    const found = (await this.byIds(ctx, [id])).get(id);
    if (!found) throw notFound('機関');
    return found;
  }

  /** Platform operator only: adds an organization to the network. */
  async create(ctx: RequestContext, input: CreateOrganizationInput): Promise<Organization> {
    assertCan(ctx, 'create', 'Organization');
    const name = cleanLine('name', input.name, { max: 200 });
    if (!ORGANIZATION_KINDS.includes(input.kind)) throw badInput('kind', '機関種別が正しくありません。');
    const prefectureCode = assertPrefectureCode('prefectureCode', input.prefectureCode);
    const municipalityCode = assertMunicipalityIn('municipalityCode', input.municipalityCode, prefectureCode);
    const services = uniqueOrFail(
      'services',
      (input.services ?? []).map((s) => cleanLine('services', s, { max: 100 })),
    );
    if (services.length > 50) throw badInput('services', 'services は50件以内で指定してください。');
    const contact = input.contact ? cleanText('contact', input.contact, { max: 500 }) : null;

    return this.db.run(tenantScope(ctx), async (tx) => {
      const [row]: OrganizationRow[] = await tx.query(
        `INSERT INTO organizations (name, kind, prefecture_code, municipality_code, services, accepts_referrals, contact)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ORGANIZATION_COLUMNS}`,
        [name, input.kind, prefectureCode, municipalityCode, services, input.acceptsReferrals ?? true, contact],
      );
      // The new organization's audit chain starts with its own creation.
      await tx.query(`SELECT set_config('app.org_id', $1, true)`, [row!.id]);
      await this.audit.record(tx, {
        orgId: row!.id,
        actorUserId: ctx.user.id,
        action: 'organization.created',
        subjectType: 'Organization',
        subjectId: row!.id,
        requestId: ctx.requestId,
      });
      return toOrganization(row!);
    });
  }
}
