import { Inject, Injectable } from '@nestjs/common';
import {
  assertCan,
  CONFIG,
  Database,
  notFound,
  queryRows,
  tenantScope,
  type AppConfig,
  type RequestContext,
} from '@tasuki/platform';
import { AuditService } from '../audit/audit.service.js';
import { NewestFirst } from '../shared/newest-first.js';
import type { Page } from '../shared/pagination.js';
import { SqlConditions } from '../shared/sql-conditions.js';
import {
  assertWebhookSecret,
  assertWebhookUrl,
  generateWebhookSecret,
  secretHint,
  type WebhookDeliveryStatus,
  type WebhookDeliveryView,
  type WebhookSettingView,
} from './webhook.model.js';

interface WebhookRow {
  url: string;
  secret: string;
  active: boolean;
  updated_at: Date;
}

interface DeliveryRow {
  id: string;
  kind: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  created_key: string;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
}

// The payload is left out on purpose: the list shows how the sending went, not what was sent.
const DELIVERY_COLUMNS = `id, kind, status, attempts, last_status_code, last_error, created_at,
  created_at::text AS created_key, last_attempt_at, delivered_at`;

const toSetting = (r: WebhookRow, createdSecret: string | null = null): WebhookSettingView => ({
  url: r.url,
  active: r.active,
  secretHint: secretHint(r.secret),
  createdSecret,
  updatedAt: r.updated_at,
});

const toDelivery = (r: DeliveryRow): WebhookDeliveryView => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: r.created_at,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
});

/**
 * The acting organization's webhook, for its ORG_ADMIN: set (URL and secret), disable, read (never the secret) and
 * the list of deliveries. The worker sends the deliveries (WebhookDeliveryService).
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** The webhook, or null when none was ever set. */
  async get(ctx: RequestContext): Promise<WebhookSettingView | null> {
    assertCan(ctx, 'read', 'Webhook', { orgId: ctx.orgId });
    return this.db.run(tenantScope(ctx), async (tx) => {
      const [row]: WebhookRow[] = await tx.query(
        'SELECT url, secret, active, updated_at FROM webhooks WHERE org_id = $1',
        [ctx.orgId],
      );
      return row ? toSetting(row) : null;
    });
  }

  /**
   * Sets the URL and the secret and (re)activates the webhook. Without a secret one is generated; either way the
   * secret is stored for the worker's signatures and a generated one is returned in this answer only.
   */
  async set(ctx: RequestContext, url: string, secret?: string | null): Promise<WebhookSettingView> {
    assertCan(ctx, 'update', 'Webhook', { orgId: ctx.orgId });
    const cleanUrl = assertWebhookUrl('url', url, { production: this.config.env === 'production' });
    const given = secret === undefined || secret === null ? null : assertWebhookSecret('secret', secret);
    const newSecret = given ?? generateWebhookSecret();
    return this.db.run(tenantScope(ctx), async (tx) => {
      const [before]: WebhookRow[] = await tx.query(
        'SELECT url, secret, active, updated_at FROM webhooks WHERE org_id = $1 FOR UPDATE',
        [ctx.orgId],
      );
      const [row]: WebhookRow[] = await tx.query(
        `INSERT INTO webhooks (org_id, url, secret, active, updated_by) VALUES ($1, $2, $3, true, $4)
         ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, active = true,
           updated_by = excluded.updated_by, updated_at = now()
         RETURNING url, secret, active, updated_at`,
        [ctx.orgId, cleanUrl, newSecret, ctx.user.id],
      );
      // Which fields changed, by name: never the secret's value (nor the URL's, which may carry a token).
      const fields = before
        ? [
            ...(before.url !== cleanUrl ? ['url'] : []),
            ...(before.secret !== newSecret ? ['secret'] : []),
            ...(before.active ? [] : ['active']),
          ]
        : ['url', 'secret', 'active'];
      // Setting what is already set changes nothing, and records nothing.
      if (fields.length === 0) return toSetting(row!);
      await this.audit.record(tx, {
        orgId: ctx.orgId!,
        actorUserId: ctx.user.id,
        action: before ? 'webhook.updated' : 'webhook.created',
        subjectType: 'Webhook',
        subjectId: ctx.orgId,
        fields,
        requestId: ctx.requestId,
      });
      return toSetting(row!, given ? null : newSecret);
    });
  }

  /** Stops deliveries: new events create none, and pending ones end FAILED when their next attempt comes. */
  async disable(ctx: RequestContext): Promise<WebhookSettingView> {
    assertCan(ctx, 'update', 'Webhook', { orgId: ctx.orgId });
    return this.db.run(tenantScope(ctx), async (tx) => {
      const [row]: WebhookRow[] = await tx.query(
        'SELECT url, secret, active, updated_at FROM webhooks WHERE org_id = $1 FOR UPDATE',
        [ctx.orgId],
      );
      if (!row) throw notFound('Webhook');
      if (!row.active) return toSetting(row);
      const [updated] = await queryRows<WebhookRow>(
        tx,
        `UPDATE webhooks SET active = false, updated_by = $2, updated_at = now() WHERE org_id = $1
         RETURNING url, secret, active, updated_at`,
        [ctx.orgId, ctx.user.id],
      );
      await this.audit.record(tx, {
        orgId: ctx.orgId!,
        actorUserId: ctx.user.id,
        action: 'webhook.disabled',
        subjectType: 'Webhook',
        subjectId: ctx.orgId,
        fields: ['active'],
        requestId: ctx.requestId,
      });
      return toSetting(updated!);
    });
  }

  /** The deliveries, newest first (keyset on created time and id). */
  async deliveries(
    ctx: RequestContext,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<WebhookDeliveryView>> {
    assertCan(ctx, 'read', 'Webhook', { orgId: ctx.orgId });
    const list = new NewestFirst(first, after);
    const filters = new SqlConditions().add((o) => `org_id = ${o}`, ctx.orgId);
    return this.db.run(tenantScope(ctx), (tx) =>
      list.page(tx, { from: 'webhook_deliveries', columns: DELIVERY_COLUMNS, filters, map: toDelivery }),
    );
  }
}
