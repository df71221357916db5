/**
 * The public HTTP API as the CLI uses it: TRAINER_URL, TRAINER_API_KEY (sent as a bearer
 * token), and errors turned into one-line messages (the API's `error` and `message`).
 */
export class CliError extends Error {
  /** `status`: the HTTP status when the API answered (absent when it could not be reached). */
  constructor(
    message: string,
    readonly exitCode: number = EXIT.api,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** 0 done; 1 the job (or comparison) failed or was canceled; 2 bad usage; 3 the API refused or could not be reached. */
export const EXIT = { ok: 0, jobFailed: 1, usage: 2, api: 3 } as const;

export class ApiClient {
  readonly base: string;

  constructor(
    url: string,
    private readonly apiKey?: string,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`TRAINER_URL is not a URL: ${JSON.stringify(url)}`, EXIT.usage);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`TRAINER_URL must be http(s): ${url}`, EXIT.usage);
    this.base = parsed.toString().replace(/\/+$/, '');
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  /** A request; a non-2xx answer throws CliError with the API's message. */
  async fetch(
    method: string,
    path: string,
    opts: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: this.headers({ ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers }),
        body: opts.body,
        signal: opts.signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.base} (TRAINER_URL): ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text();
      let detail = text.slice(0, 500);
      try {
        const body = JSON.parse(text) as { error?: string; message?: string };
        if (body.message) detail = `${body.error ?? 'error'}: ${body.message}`;
      } catch {
        // not JSON: show the start of the text
      }
      throw new CliError(`${method} ${path} answered ${res.status}${detail ? ` (${detail})` : ''}`, EXIT.api, res.status);
    }
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, { body: body === undefined ? undefined : JSON.stringify(body) });
    return (await res.json()) as T;
  }

  async bytes(path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.fetch('GET', path)).arrayBuffer());
  }
}

/** What the API answers for a job (the fields the CLI shows). */
export interface JobView {
  id: string;
  name: string | null;
  status: string;
  progress: { epoch: number; epochs: number; step: number; totalSteps: number; loss: number | null; samplesPerSecond: number };
  error?: string;
  createdAt: string;
  finishedAt: string | null;
}

export const isFinal = (status: string) => ['succeeded', 'failed', 'canceled'].includes(status);
