/**
 * Server-Sent Events on a raw Node response: the framing, heartbeats, and the bound on what a
 * slow client may hold. Events are read from PostgreSQL at the client's pace, so a slow
 * client never holds up training; it only holds its own socket buffer. When that buffer stays
 * full for DRAIN_TIMEOUT_MS the client is dropped (it reconnects with Last-Event-ID).
 */
import type { ServerResponse } from 'node:http';

/** A comment line this often keeps proxies (nginx: 60 s by default) from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** A client whose socket buffer does not drain within this is dropped. */
export const DRAIN_TIMEOUT_MS = 30_000;

export class SseWriter {
  private heartbeat: NodeJS.Timeout;
  closed = false;

  private readonly drainTimeoutMs: number;

  constructor(
    private readonly res: ServerResponse,
    onHeartbeat: () => void,
    opts: { heartbeatMs?: number; drainTimeoutMs?: number } = {},
  ) {
    this.drainTimeoutMs = opts.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // A stream ends only when its job has (or the client is dropped): the socket closes with
      // it. `keep-alive` here made Node keep it open after the last event, even against the
      // client's own `Connection: close`; nothing is lost, one stream is one connection anyway.
      connection: 'close',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    // Tell EventSource how soon to reconnect after a drop.
    res.write('retry: 1000\n\n');
    this.heartbeat = setInterval(() => {
      if (!this.closed) res.write(': ping\n\n');
      onHeartbeat();
    }, opts.heartbeatMs ?? HEARTBEAT_MS);
    res.on('close', () => this.stop());
  }

  /** Writes one event; resolves once the socket can take more (or rejects and drops the client). */
  async send(event: string, data: unknown, id?: number): Promise<void> {
    if (this.closed) throw new Error('stream closed');
    const frame = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (this.res.write(frame)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.end();
        reject(new Error('client too slow; dropped'));
      }, this.drainTimeoutMs);
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(new Error('stream closed'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
      };
      this.res.once('drain', onDrain);
      this.res.once('close', onClose);
    });
  }

  end(): void {
    if (this.closed) return;
    this.stop();
    this.res.end();
    // A dropped slow client may have a full buffer that end() would wait on: cut it.
    setTimeout(() => this.res.destroy(), 1000).unref();
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
  }
}
