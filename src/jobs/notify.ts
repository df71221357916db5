/** The optional `notify: { url }` of a job request: where to POST when the job ends. */
import { InvalidInputError } from '../errors.ts';
import type { Config } from '../config.ts';
import { checkWebhookUrl, WebhookAddressError } from './webhook-address.ts';

export interface Notify {
  url: string;
}

/** Checks `notify` (the URL resolves to public addresses only, unless allowed); undefined when absent. */
export async function parseNotify(input: unknown, config: Config): Promise<Notify | undefined> {
  if (input === undefined) return undefined;
  // POST /v1/jobs checks this shape in its schema; a comparison's `base` arrives unchecked.
  if (typeof input !== 'object' || input === null || typeof (input as { url?: unknown }).url !== 'string') {
    throw new InvalidInputError('notify', 'must be { url } with url a string');
  }
  if (!config.WEBHOOK_SECRET) {
    throw new InvalidInputError('notify', 'webhooks are off on this server: its WEBHOOK_SECRET is not set');
  }
  try {
    const url = await checkWebhookUrl((input as { url: string }).url, config.WEBHOOK_ALLOW_PRIVATE);
    return { url: url.toString() };
  } catch (err) {
    if (err instanceof WebhookAddressError) throw new InvalidInputError('notify.url', err.message);
    throw err;
  }
}
