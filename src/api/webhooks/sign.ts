/**
 * Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>` with the server's WEBHOOK_SECRET,
 * sent as `webhook-signature: t=<unix seconds>,v1=<hex>`. The timestamp inside the signed
 * text lets a receiver refuse old replays; compare with a constant-time comparison.
 */
import { createHmac } from 'node:crypto';

export function signature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signature(secret, timestamp, body)}`;
}
