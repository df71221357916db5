/**
 * A dataset upload the test drives byte by byte (node:http, chunked unless told a length): it
 * writes what it is told, when it is told, and its answer is awaited apart, so a test can hold an
 * upload open, trickle it, or hang up, and still read the answer the service sends meanwhile.
 */
import { request, type ClientRequest } from 'node:http';
import { until as waitUntil } from './until.ts';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  /** The connection was torn down before an answer came (status is then 0). */
  error?: string;
}

export interface HeldUpload {
  req: ClientRequest;
  /** Resolves once `data` is handed to the socket (false when the request has already ended). */
  write(data: string | Uint8Array): Promise<boolean>;
  end(data?: string): void;
  /** Tears the connection down, as a client that hangs up. */
  destroy(): void;
  /** The service's answer (whenever it comes: before the body is whole, too). */
  answer: Promise<Answer>;
  /** True once the answer has arrived (or the connection is gone). */
  readonly done: boolean;
}

export function holdUpload(base: string, path: string, headers: Record<string, string> = {}): HeldUpload {
  const { hostname, port } = new URL(base);
  const req = request({ host: hostname, port, method: 'POST', path, headers: { 'content-type': 'text/csv', ...headers } });
  let done = false;
  const answer = new Promise<Answer>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      const finish = () => {
        done = true;
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = { unparsed: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      };
      res.on('end', finish);
      res.on('error', finish);
    });
    // Once answered, the service may close the connection under the rest of the body: not an error here.
    req.on('error', (err) => {
      if (done) return;
      done = true;
      resolve({ status: 0, headers: {}, json: undefined, error: err.message });
    });
  });
  req.flushHeaders();
  return {
    req,
    write: (data) =>
      new Promise((resolve) => {
        if (req.writableEnded || req.destroyed) return resolve(false);
        req.write(data, () => resolve(true));
      }),
    end: (data) => {
      if (!req.writableEnded && !req.destroyed) req.end(data);
    },
    destroy: () => req.destroy(),
    answer,
    get done() {
      return done;
    },
  };
}

/**
 * Polls `check` until it holds, `what` saying what is awaited (and naming a check that throws).
 * No deadline: see until.ts.
 */
export async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  await waitUntil(async () => {
    try {
      return await check();
    } catch (err) {
      throw new Error(`while waiting until ${what}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** `n` CSV rows `i,i%7,label` for columns a,b,y. */
export const csvRows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, k) => `${from + k},${(from + k) % 7},${(from + k) % 2 ? 'p' : 'q'}\n`).join('');
