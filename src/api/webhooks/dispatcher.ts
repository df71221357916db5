/**
 * Sends the webhooks of finished jobs. A trigger writes a "WebhookDelivery" row in the same
 * transaction that sets the final status; every API process runs one dispatcher, which claims
 * due rows (store/webhooks.ts) with FOR UPDATE SKIP LOCKED and a lease (nextAttemptAt moves past the request's
 * timeout), so one process sends each delivery and a crashed sender's rows come due again.
 * Failed calls are retried with exponential backoff. A crash between the receiver's 2xx and
 * our "delivered" mark sends it again: receivers drop repeats by the `webhook-id` header.
 */
import http from 'node:http';
import https from 'node:https';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { getJob } from '../../store/jobs.ts';
import { claimDueDeliveries, markAttemptFailed, markDelivered, type ClaimedDelivery } from '../../store/webhooks.ts';
import type { EventHub } from '../events/hub.ts';
import { progressView } from '../events/job-stream.ts';
import { jobView } from '../job-view.ts';
import { checkWebhookUrl, guardedLookup } from '../../jobs/webhook-address.ts';
import { signatureHeader } from './sign.ts';

/** Attempts before a delivery is given up (marked failed): about 17 minutes of retries. */
export const MAX_ATTEMPTS = 10;
/** Retry n waits BACKOFF_BASE_S · 2^(n−1) seconds: 2, 4, 8, … 512. */
const BACKOFF_BASE_S = 2;
const REQUEST_TIMEOUT_MS = 10_000;
/** A claimed row is not claimed again for this long: longer than one request can take. */
const LEASE_S = 60;
/** Due retries are looked for this often; new deliveries wake the dispatcher at once. */
const POLL_MS = 2_000;

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly hub: EventHub,
    private readonly config: Config,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.unsubscribe = this.hub.subscribeAll((change) => {
      if (change === null || change.kind === 'webhook') this.wake();
    });
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running;
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const claimed = await claimDueDeliveries(this.db, LEASE_S);
          this.failing = false;
          await Promise.all(claimed.map((d) => this.deliver(d)));
          if (claimed.length > 0) this.again = true;
        } catch (err) {
          // PostgreSQL down: say so once, not every poll (/readyz shows the outage too).
          if (!this.failing) this.log.warn({ err }, 'webhook dispatch failed; retrying every poll');
          this.failing = true;
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const log = this.log.child({ jobId: d.jobId, deliveryId: d.id });
    try {
      const job = await getJob(this.db, d.jobId);
      if (!job) throw new Error('job no longer exists');
      const body = JSON.stringify({ type: 'job.finished', event: d.event, job: { ...jobView(job), progress: progressView(job.progress) } });
      const status = await this.post(d, body);
      if (status < 200 || status >= 300) throw new Error(`the receiver answered ${status}`);
      await markDelivered(this.db, d.id);
      log.info({ attempts: d.attempts }, 'webhook delivered');
    } catch (err) {
      const message = (err as Error).message.slice(0, 500);
      const giveUp = d.attempts >= MAX_ATTEMPTS;
      const delay = BACKOFF_BASE_S * 2 ** (d.attempts - 1);
      await markAttemptFailed(this.db, d.id, message, giveUp, delay).catch(() => {}); // the lease expires and it is tried again anyway
      log.warn({ err: message, attempts: d.attempts, giveUp }, 'webhook delivery failed');
    }
  }

  /** One POST; the address is checked again on the connection itself (DNS may have changed). */
  private async post(d: ClaimedDelivery, body: string): Promise<number> {
    const allowPrivate = this.config.WEBHOOK_ALLOW_PRIVATE;
    const url = await checkWebhookUrl(d.url, allowPrivate);
    const timestamp = Math.floor(Date.now() / 1000);
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<number>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(allowPrivate),
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'trainer-webhooks/1',
            'webhook-id': d.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatureHeader(this.config.WEBHOOK_SECRET, timestamp, body),
          },
        },
        (res) => {
          res.resume(); // the answer's body is not used; drain it so the socket is freed
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
