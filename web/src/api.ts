/**
 * The public API, called with fetch. An API key (when the service has keys on) is kept in
 * sessionStorage and sent as a Bearer token; a 401 asks the page for one.
 */
const KEY = 'trainer.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

let unauthorized: () => void = () => {};
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

export function notifyUnauthorized(): void {
  unauthorized();
}

export function authHeaders(): Record<string, string> {
  const key = apiKey.get();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...authHeaders(), ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(path, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body, signal: opts.signal });
  if (res.ok) return res;
  let code = 'error';
  let message = `${res.status} ${res.statusText}`;
  let field: string | undefined;
  try {
    const e = (await res.json()) as { error?: string; message?: string; details?: { field?: string } };
    code = e.error ?? code;
    message = e.message ?? message;
    field = e.details?.field;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) unauthorized();
  throw new ApiError(res.status, code, message, field);
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return (await request(path, opts)).json() as Promise<T>;
}

/** Downloads a file through fetch (so the key is sent) and saves it under `name`. */
export async function download(path: string, name: string): Promise<void> {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
