/**
 * Request headers of a delivery, and its signature. The signature is an HMAC-SHA256 of the exact
 * body bytes, so a receiver must verify the raw body before parsing it (docs/usage.md shows how).
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Spindle-Signature';
export const TIMESTAMP_HEADER = 'X-Spindle-Timestamp';
export const EVENT_HEADER = 'X-Spindle-Event';
export const DELIVERY_HEADER = 'X-Spindle-Delivery';

/** `sha256=<hex HMAC-SHA256 of body with secret>`. */
export function sign(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface HeaderInput {
  body: Uint8Array;
  eventType: string;
  /** The same for every attempt of one delivery, so receivers can drop duplicates. */
  deliveryId: string;
  secret?: string;
  /** `Basic …` for an endpoint URL that carried `user:password@`. */
  authorization?: string;
  userAgent: string;
  now?: Date;
}

export function deliveryHeaders(input: HeaderInput): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': input.userAgent,
    [EVENT_HEADER]: input.eventType,
    [DELIVERY_HEADER]: input.deliveryId,
    [TIMESTAMP_HEADER]: (input.now ?? new Date()).toISOString(),
  };
  if (input.secret) headers[SIGNATURE_HEADER] = sign(input.body, input.secret);
  if (input.authorization) headers.Authorization = input.authorization;
  return headers;
}
