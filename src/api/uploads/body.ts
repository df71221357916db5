/**
 * An upload's body on its way to the parser: counted and bounded in bytes, failed (not left
 * waiting) when its client hangs up or busboy gives up on it, and, for a multipart body, its
 * file part awaited no longer than the idle limit.
 */
import { Transform, type Readable } from 'node:stream';
import { InvalidInputError, RequestTimeoutError, TooLargeError } from '../../errors.ts';
import { multipartError } from '../multipart-errors.ts';

/** Passes the stream through, counting; past `limit` bytes it fails with a 413. */
export function byteLimit(limit: number): Transform & { bytes: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      if (counter.bytes > limit) done(new TooLargeError('body', `larger than the dataset limit of ${limit} bytes`));
      else done(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}

/**
 * `source` piped into `counted`, with what pipe() leaves out: an error of the source, or its
 * end before the body is whole (the client hung up), ends `counted` with an error, so the
 * parser reading it stops and the upload is refused instead of waiting forever.
 */
export function forwardFailures(source: Readable, counted: Transform): void {
  const cutShort = () =>
    new InvalidInputError('body', 'ended before it was complete: the client disconnected, or a multipart body lacks its closing boundary');
  // A multipart file stream can fail before the handler gets it (busboy sees a body cut short as
  // soon as the request ends): its 'error' and 'close' have been emitted already.
  if (source.errored) counted.destroy(multipartError(source.errored) as Error);
  else if (source.destroyed && !source.readableEnded) counted.destroy(cutShort());
  source.on('error', (err) => counted.destroy(multipartError(err) as Error));
  source.on('close', () => {
    if (!source.readableEnded) counted.destroy(cutShort());
  });
}

/**
 * `promise` (a multipart body's first part), or a RequestTimeoutError when it takes longer than
 * `ms`, or the reason `signal` is aborted with.
 */
export function within<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  promise.catch(() => {}); // given up on, its late failure is nobody's
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new RequestTimeoutError('body', `no file part arrived within ${ms} ms (UPLOAD_IDLE_TIMEOUT_MS): the upload was cut off`, {
            limit: 'UPLOAD_IDLE_TIMEOUT_MS',
          }),
        ),
      ms,
    );
    const abort = () => reject(signal.reason as Error);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    });
  });
}
