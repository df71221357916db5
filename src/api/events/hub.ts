/**
 * One PostgreSQL LISTEN connection per API process, fanned out to that process's subscribers
 * by job id. The triggers of migration `live_events` NOTIFY "trainer_events" with `{ job, kind }`
 * whoever changed the job (a worker on another machine, this API, a reconciler), so every API
 * process hears every change without Redis or the worker knowing about streams.
 *
 * A notification only says "job X changed": subscribers read the rows themselves. So a lost
 * notification (the connection dropped) costs a delay, not data: after a reconnect every
 * subscriber is woken once to catch up.
 */
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';

export const EVENTS_CHANNEL = 'trainer_events';

export interface JobChange {
  job: string;
  kind: 'steps' | 'epoch' | 'job' | 'webhook';
}

type Listener = (change: JobChange | null) => void;

const RECONNECT_MS = [250, 500, 1000, 2000, 5000];

export class EventHub {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly byJob = new Map<string, Set<Listener>>();
  private readonly all = new Set<Listener>();
  private closed = false;
  private failures = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Calls `listener` on every change of `jobId` (and with null after a reconnect). Returns the unsubscribe. */
  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.byJob.get(jobId);
    if (!set) this.byJob.set(jobId, (set = new Set()));
    set.add(listener);
    void this.ensureConnected();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byJob.delete(jobId);
    };
  }

  /** Every change of every job (the webhook dispatcher wants `webhook` ones). */
  subscribeAll(listener: Listener): () => void {
    this.all.add(listener);
    void this.ensureConnected();
    return () => this.all.delete(listener);
  }

  /** Resolves once LISTEN is active (tests wait for it before they make changes). */
  ready(): Promise<void> {
    return this.ensureConnected();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private ensureConnected(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true });
    client.on('notification', (msg) => this.dispatch(msg.payload));
    client.on('error', (err) => this.log.warn({ err }, 'event listener connection error'));
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.retryLater();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      if (this.failures === 0) this.log.warn({ err }, 'event listener could not connect; retrying until it can');
      await client.end().catch(() => {});
      this.retryLater();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    if (this.failures > 0) this.wakeEveryone(); // notifications may have been missed meanwhile
    this.failures = 0;
  }

  private retryLater(): void {
    if (this.closed) return;
    const delay = RECONNECT_MS[Math.min(this.failures++, RECONNECT_MS.length - 1)];
    setTimeout(() => void this.ensureConnected(), delay).unref();
  }

  private wakeEveryone(): void {
    for (const set of this.byJob.values()) for (const l of set) l(null);
    for (const l of this.all) l(null);
  }

  private dispatch(payload: string | undefined): void {
    let change: JobChange;
    try {
      change = JSON.parse(payload ?? '') as JobChange;
    } catch {
      return;
    }
    for (const l of this.byJob.get(change.job) ?? []) l(change);
    for (const l of this.all) l(change);
  }
}
