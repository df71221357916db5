/**
 * The slow-loris guard of an upload body: in every window of UPLOAD_IDLE_TIMEOUT_MS the client
 * must send at least UPLOAD_MIN_BYTES_PER_SECOND × the window (one byte at the least), or the
 * upload is cut off. Only the client's time counts: while the service is the one not reading
 * (the source paused by backpressure while slices are written) or its event loop was held up,
 * the window starts again.
 */
import type { Readable } from 'node:stream';
import { RequestTimeoutError } from '../../errors.ts';

export interface BodyLimits {
  windowMs: number;
  minBytesPerSecond: number;
}

/**
 * Watches `source` (already flowing into its consumer) until it ends; `onStall` is called at most
 * once. Returns a function that stops watching.
 */
export function watchBody(source: Readable, limits: BodyLimits, onStall: (err: RequestTimeoutError) => void): () => void {
  if (source.readableEnded || source.destroyed) return () => {};
  const { windowMs, minBytesPerSecond } = limits;
  const minBytes = Math.max(1, Math.ceil((minBytesPerSecond * windowMs) / 1000));
  const tickMs = Math.max(10, Math.floor(windowMs / 4));
  let bytes = 0;
  let windowStart = performance.now();
  let bytesAtStart = 0;
  let lastTick = windowStart;
  const restart = (now: number) => {
    windowStart = now;
    bytesAtStart = bytes;
  };
  const count = (chunk: Buffer) => {
    bytes += chunk.length;
  };
  const timer = setInterval(() => {
    const now = performance.now();
    const heldUp = now - lastTick > 2 * tickMs; // our event loop was busy: the bytes may be waiting in the socket
    lastTick = now;
    if (heldUp || source.readableFlowing === false) return restart(now);
    if (now - windowStart < windowMs) return;
    const got = bytes - bytesAtStart;
    if (got >= minBytes) return restart(now);
    stop();
    onStall(
      got === 0
        ? new RequestTimeoutError('body', `no byte arrived for ${windowMs} ms (UPLOAD_IDLE_TIMEOUT_MS): the upload was cut off`, {
            limit: 'UPLOAD_IDLE_TIMEOUT_MS',
          })
        : new RequestTimeoutError(
            'body',
            `${got} bytes arrived in ${windowMs} ms, slower than ${minBytesPerSecond} bytes a second (UPLOAD_MIN_BYTES_PER_SECOND): ` +
              'the upload was cut off',
            { limit: 'UPLOAD_MIN_BYTES_PER_SECOND' },
          ),
    );
  }, tickMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    source.off('data', count);
    source.off('end', stop);
    source.off('close', stop);
  };
  source.on('data', count);
  source.once('end', stop);
  source.once('close', stop);
  return stop;
}
