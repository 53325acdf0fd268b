import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, Database, queryRows, type AppConfig } from '@tasuki/platform';
import { isUuid } from '../shared/validation.js';
import type { WebhookDeliveryStatus, WebhookPayload } from './webhook.model.js';
import { webhookSignature } from './webhook-signature.js';

/** A lease outlasts the POST's timeout by this much: the time to record the outcome. */
export const WEBHOOK_LEASE_MARGIN_MS = 10_000;

export interface DeliveryAttempt {
  /** The job's last attempt: a failure now marks the delivery FAILED. */
  final: boolean;
}

type Claim =
  | { send: false; outcome: string }
  | { send: true; url: string; secret: string; kind: string; payload: WebhookPayload; attempt: number };

interface ClaimRow {
  kind: string;
  payload: WebhookPayload;
  status: WebhookDeliveryStatus;
  leased: boolean | null;
  url: string | null;
  secret: string | null;
  active: boolean | null;
}

/**
 * Sends webhook deliveries, one attempt per call, at least once and never after success. An attempt is three steps,
 * so that no transaction stays open across the HTTP call: (1) a short transaction locks the delivery, checks it is
 * still PENDING, not leased by another attempt and its webhook still active, and takes a lease (`lease_until` = now
 * + timeout + margin) while counting the attempt; (2) the POST, bounded by WEBHOOK_TIMEOUT_MS; (3) a short
 * transaction records the outcome and drops the lease. A DELIVERED or FAILED delivery is never sent again, and a
 * second job for the same delivery meanwhile finds the lease and is retried later instead of POSTing in parallel.
 */
@Injectable()
export class WebhookDeliveryService {
  constructor(
    private readonly db: Database,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * One attempt. Returns the outcome when there is nothing (more) to do; throws when the attempt failed, so the job
   * is retried with backoff (on the final attempt the delivery is first marked FAILED).
   */
  async deliver(deliveryId: string, orgId: string, attempt: DeliveryAttempt = { final: false }): Promise<string> {
    if (!isUuid(deliveryId) || !isUuid(orgId)) return 'no such delivery';
    const claim = await this.claim(deliveryId, orgId);
    if (!claim.send) return claim.outcome;
    const result = await this.post(deliveryId, claim);
    const final = attempt.final || claim.attempt >= this.config.webhook.attempts;
    await this.db.run({ orgId, userId: null }, (tx) =>
      queryRows(
        tx,
        `UPDATE webhook_deliveries
            SET lease_until = NULL, last_status_code = $3, last_error = $4,
                status = CASE WHEN $5 THEN 'DELIVERED' WHEN $6 THEN 'FAILED' ELSE status END,
                delivered_at = CASE WHEN $5 THEN now() ELSE delivered_at END
          WHERE id = $1 AND org_id = $2 AND status = 'PENDING' AND ($5 OR attempts = $7)`,
        [deliveryId, orgId, result.statusCode, result.error, result.ok, final, claim.attempt],
      ),
    );
    if (result.ok) return 'delivered';
    throw new Error(
      `webhook delivery ${deliveryId} attempt ${claim.attempt} failed: ${result.error}${final ? '; marked FAILED' : ''}`,
    );
  }

  private claim(deliveryId: string, orgId: string): Promise<Claim> {
    return this.db.run({ orgId, userId: null }, async (tx): Promise<Claim> => {
      const [d]: ClaimRow[] = await tx.query(
        `SELECT d.kind, d.payload, d.status, d.lease_until > now() AS leased, w.url, w.secret, w.active
           FROM webhook_deliveries d LEFT JOIN webhooks w ON w.org_id = d.org_id
          WHERE d.id = $1 AND d.org_id = $2 FOR UPDATE OF d`,
        [deliveryId, orgId],
      );
      if (!d) return { send: false, outcome: 'no such delivery' };
      if (d.status !== 'PENDING') return { send: false, outcome: `already ${d.status}` };
      if (d.leased) throw new Error(`webhook delivery ${deliveryId}: another attempt holds it; retrying later`);
      if (!d.url || !d.secret || !d.active) {
        const reason = d.url ? 'webhook disabled' : 'webhook removed';
        await tx.query(
          `UPDATE webhook_deliveries SET status = 'FAILED', last_error = $2, lease_until = NULL WHERE id = $1`,
          [deliveryId, reason],
        );
        return { send: false, outcome: reason };
      }
      const [{ attempts }] = await queryRows<{ attempts: number }>(
        tx,
        `UPDATE webhook_deliveries
            SET attempts = attempts + 1, last_attempt_at = now(),
                lease_until = now() + make_interval(secs => $2::double precision / 1000)
          WHERE id = $1 RETURNING attempts`,
        [deliveryId, this.config.webhook.timeoutMs + WEBHOOK_LEASE_MARGIN_MS],
      );
      return { send: true, url: d.url, secret: d.secret, kind: d.kind, payload: d.payload, attempt: attempts! };
    });
  }

  /** The POST: 2xx is success; anything else (a redirect too: not followed), a timeout or a network error is not. */
  private async post(
    deliveryId: string,
    c: Extract<Claim, { send: true }>,
  ): Promise<{ ok: boolean; statusCode: number | null; error: string | null }> {
    const body = JSON.stringify(c.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(c.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tasuki-Webhook/1',
          'x-tasuki-event': c.kind,
          'x-tasuki-delivery': deliveryId,
          'x-tasuki-timestamp': String(timestamp),
          'x-tasuki-signature': webhookSignature(c.secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.webhook.timeoutMs),
      });
      // Only the status matters; the response body is not read (nor stored: it is the receiver's text).
      await res.body?.cancel().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      return { ok, statusCode: res.status, error: ok ? null : `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, statusCode: null, error: describeFailure(err, this.config.webhook.timeoutMs) };
    }
  }
}

/** A short, receiver-independent reason: the error's code (ECONNREFUSED, …) or a timeout, never a response text. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const reason = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return reason.slice(0, 200);
}
