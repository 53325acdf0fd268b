import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  abilityToSql,
  assertCan,
  Database,
  japanDate,
  notFound,
  tenantScope,
  type RequestContext,
  type Tx,
} from '@tasuki/platform';
import { AuditService, type AuditInput } from '../audit/audit.service.js';
import { CASE_CONDITIONS, CASE_SELECT, toCaseView, type CaseRow, type CaseView } from '../cases/case.model.js';
import { readForHandoverSql } from '../handovers/handover-access.js';
import { assertDesignatedDiseaseNumbers } from '../reference/designated-diseases.js';
import {
  assertDateBetween,
  assertMunicipalityIn,
  assertOneOf,
  assertPrefectureCode,
  cleanEmail,
  cleanKana,
  cleanLine,
  cleanPhone,
  isUuid,
} from '../shared/validation.js';
import { appendTimeline } from '../timeline/timeline.model.js';
import {
  CLIENT_FIELDS,
  CLIENT_PROFILE_SQL,
  DISABILITY_CERTIFICATES,
  isClientField,
  redactedClient,
  SEXES,
  toClientView,
  WORK_DISCLOSURES,
  type ClientProfileRow,
  type ClientRead,
  type ClientView,
  type DataCategory,
  type RegisterClientInput,
} from './client.model.js';

/** Why a personal field was read, for the audit log. */
export type ReadPurpose = 'CASE_MANAGEMENT' | 'INFO_SHARING' | 'HANDOVER';

export interface DataProvisionView {
  id: string;
  clientId: string;
  recipientOrgId: string;
  categories: DataCategory[];
  consentId: string;
  referralId: string | null;
  providedAt: Date;
}

@Injectable()
export class ClientsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** Registers a client with the acting organization as owner, opens its case and assigns it to the caller. */
  async register(ctx: RequestContext, input: RegisterClientInput): Promise<CaseView> {
    assertCan(ctx, 'create', 'Client');
    const orgId = ctx.orgId!;
    const v = validateRegistration(input);
    return this.db.run(tenantScope(ctx), async (tx) => {
      const diseases = await assertDesignatedDiseaseNumbers(
        tx,
        'designatedDiseaseNumbers',
        input.designatedDiseaseNumbers ?? [],
      );
      const clientId = randomUUID();
      // No RETURNING: the application role cannot read the clients table's personal columns, even its own writes.
      await tx.query(
        `INSERT INTO clients (id, org_id, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex,
           prefecture_code, municipality_code, phone, email, designated_disease_numbers, disability_certificate,
           disclosure, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          clientId,
          orgId,
          v.familyName,
          v.givenName,
          v.familyNameKana,
          v.givenNameKana,
          v.birthDate,
          v.sex,
          v.prefectureCode,
          v.municipalityCode,
          v.phone,
          v.email,
          diseases,
          v.disabilityCertificate,
          v.disclosure,
          ctx.user.id,
        ],
      );
      const [created]: { id: string }[] = await tx.query(
        `INSERT INTO cases (org_id, client_id) VALUES ($1, $2) RETURNING id`,
        [orgId, clientId],
      );
      await tx.query(`INSERT INTO case_assignments (org_id, case_id, user_id, assigned_by) VALUES ($1, $2, $3, $3)`, [
        orgId,
        created!.id,
        ctx.user.id,
      ]);
      await appendTimeline(tx, [
        {
          orgId,
          clientId,
          caseId: created!.id,
          kind: 'INTAKE',
          summary: '相談者を登録し、支援ケースを開始しました',
          authorUserId: ctx.user.id,
          authorOrgId: orgId,
        },
      ]);
      await this.audit.record(tx, {
        orgId,
        actorUserId: ctx.user.id,
        action: 'client.registered',
        subjectType: 'Client',
        subjectId: clientId,
        fields: Object.keys(CLIENT_FIELDS).filter((f) => (v as Record<string, unknown>)[f] != null),
        purpose: 'CASE_MANAGEMENT',
        requestId: ctx.requestId,
      });
      const [row]: CaseRow[] = await tx.query(`${CASE_SELECT} WHERE c.id = $1`, [created!.id]);
      return toCaseView(row!);
    });
  }

  /**
   * One client, reached through a case of the acting organization the caller may read. A client the organization
   * works with but may no longer read (consent withdrawn or expired) comes back with every field redacted.
   */
  async get(ctx: RequestContext, id: string, fields: readonly string[]): Promise<ClientView> {
    assertCan(ctx, 'read', 'Client');
    if (!isUuid(id)) throw notFound('相談者');
    return this.db.run(tenantScope(ctx), async (tx) => {
      const params: unknown[] = [id, ctx.orgId];
      const access = abilityToSql(ctx.ability, 'read', 'Case', CASE_CONDITIONS, params);
      const reach: unknown[] = await tx.query(
        `SELECT 1 FROM cases c WHERE c.client_id = $1 AND c.org_id = $2 AND ${access} LIMIT 1`,
        params,
      );
      if (reach.length === 0) throw notFound('相談者');
      return (await this.readProfiles(tx, ctx, [{ id, fields }])).get(id)!;
    });
  }

  /**
   * Profiles for field resolvers (batched by a DataLoader): the caller already reached each client through a case,
   * referral or consent it may read. The masking view decides what is visible; each personal field actually
   * selected and visible is written to the audit log, in the same transaction as the read.
   */
  async profiles(ctx: RequestContext, reads: readonly ClientRead[], purpose?: ReadPurpose) {
    return this.db.read(ctx, (tx) => this.readProfiles(tx, ctx, reads, purpose));
  }

  private async readProfiles(
    tx: Tx,
    ctx: RequestContext,
    reads: readonly ClientRead[],
    purpose?: ReadPurpose,
  ): Promise<Map<string, ClientView>> {
    const ids = [...new Set(reads.map((r) => r.id).filter(isUuid))];
    // Whether each client is read as a handover's successor (the audit's purpose), in the same statement.
    const params: unknown[] = [ids];
    const handover = purpose ? 'false' : readForHandoverSql(ctx, 'p.id', params);
    const rows: (ClientProfileRow & { for_handover: boolean })[] = ids.length
      ? await tx.query(
          `SELECT p.*, ${handover} AS for_handover FROM (${CLIENT_PROFILE_SQL} WHERE id = ANY ($1::uuid[])) p`,
          params,
        )
      : [];
    const forHandover = new Set(rows.filter((r) => r.for_handover).map((r) => r.id));
    const views = new Map(rows.map((r) => [r.id, toClientView(r, ctx.orgId)]));
    const fieldsRead = new Map<string, Set<string>>();
    for (const read of reads) {
      const view = views.get(read.id);
      if (!view) continue;
      const set = fieldsRead.get(read.id) ?? new Set<string>();
      for (const f of read.fields) {
        if (isClientField(f) && view.visibleCategories.includes(CLIENT_FIELDS[f].category)) set.add(f);
      }
      fieldsRead.set(read.id, set);
    }
    const events: AuditInput[] = [];
    for (const [id, set] of fieldsRead) {
      if (set.size === 0) continue;
      events.push({
        orgId: ctx.orgId!,
        actorUserId: ctx.user.id,
        action: 'client.read',
        subjectType: 'Client',
        subjectId: id,
        fields: [...set].sort(),
        purpose:
          purpose ?? (forHandover.has(id) ? 'HANDOVER' : views.get(id)!.owned ? 'CASE_MANAGEMENT' : 'INFO_SHARING'),
        requestId: ctx.requestId,
      });
    }
    await this.audit.recordReads(ctx, tx, events);
    return new Map(reads.map((r) => [r.id, views.get(r.id) ?? redactedClient(r.id)]));
  }

  /** 第三者提供記録 of the given clients made by the acting organization (the provider keeps the record). */
  async provisionsByClientIds(ctx: RequestContext, clientIds: readonly string[]) {
    const ids = clientIds.filter(isUuid);
    const rows: {
      id: string;
      client_id: string;
      recipient_org_id: string;
      categories: DataCategory[];
      consent_id: string;
      referral_id: string | null;
      provided_at: Date;
    }[] = ids.length
      ? await this.db.run(tenantScope(ctx), (tx) =>
          tx.query(
            `SELECT id, client_id, recipient_org_id, categories, consent_id, referral_id, provided_at
               FROM data_provisions WHERE org_id = $1 AND client_id = ANY ($2::uuid[])
              ORDER BY provided_at, id`,
            [ctx.orgId, ids],
          ),
        )
      : [];
    const out = new Map<string, DataProvisionView[]>(clientIds.map((id) => [id, []]));
    for (const r of rows) {
      out.get(r.client_id)?.push({
        id: r.id,
        clientId: r.client_id,
        recipientOrgId: r.recipient_org_id,
        categories: r.categories,
        consentId: r.consent_id,
        referralId: r.referral_id,
        providedAt: r.provided_at,
      });
    }
    return out;
  }
}

function validateRegistration(input: RegisterClientInput) {
  const today = japanDate();
  const prefectureCode = assertPrefectureCode('prefectureCode', input.prefectureCode);
  const municipalityCode = assertMunicipalityIn('municipalityCode', input.municipalityCode, prefectureCode);
  return {
    familyName: cleanLine('familyName', input.familyName, { max: 50 }),
    givenName: cleanLine('givenName', input.givenName, { max: 50 }),
    familyNameKana: input.familyNameKana ? cleanKana('familyNameKana', input.familyNameKana, { max: 100 }) : null,
    givenNameKana: input.givenNameKana ? cleanKana('givenNameKana', input.givenNameKana, { max: 100 }) : null,
    birthDate: assertDateBetween('birthDate', input.birthDate, '1900-01-01', today, '生年月日'),
    sex: input.sex ? assertOneOf('sex', input.sex, SEXES, '性別') : null,
    prefectureCode,
    municipalityCode,
    phone: input.phone ? cleanPhone('phone', input.phone) : null,
    email: input.email ? cleanEmail('email', input.email) : null,
    designatedDiseaseNumbers: input.designatedDiseaseNumbers?.length ? input.designatedDiseaseNumbers : null,
    disabilityCertificate: input.disabilityCertificate
      ? assertOneOf('disabilityCertificate', input.disabilityCertificate, DISABILITY_CERTIFICATES, '障害者手帳')
      : null,
    disclosure: input.disclosure ? assertOneOf('disclosure', input.disclosure, WORK_DISCLOSURES, '開示の希望') : null,
  };
}
