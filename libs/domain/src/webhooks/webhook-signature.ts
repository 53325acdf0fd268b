import { createHmac } from 'node:crypto';

/**
 * The delivery's signature, Stripe-like: `sha256=` and the hex HMAC-SHA256, keyed with the webhook's secret, of
 * `<timestamp>.<body>` (the X-Tasuki-Timestamp header's unix seconds, a dot, the raw request body). Signing the
 * timestamp with the body lets a receiver refuse a captured request replayed later (docs/architecture.md).
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
