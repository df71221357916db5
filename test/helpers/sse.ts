/**
 * A minimal Server-Sent Events reader for tests, written from the spec (html.spec.whatwg.org,
 * "event stream interpretation") independently of the CLI's: fields per line, blank line ends
 * an event, lines starting with ':' are comments.
 */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads `url` as an event stream and calls `onEvent` for each event; stops when the server
 * ends the stream or `onEvent` returns true (then the connection is aborted). Returns the events.
 */
export async function readSse(
  url: string,
  opts: { lastEventId?: string; onEvent?: (e: SseEvent) => boolean | void; timeoutMs?: number } = {},
): Promise<{ status: number; contentType: string | null; events: SseEvent[]; comments: number; endedByServer: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 60_000);
  const res = await fetch(url, {
    headers: opts.lastEventId !== undefined ? { 'last-event-id': opts.lastEventId } : {},
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  let comments = 0;
  let endedByServer = false;
  if (!res.ok || !res.body) {
    clearTimeout(timer);
    return { status: res.status, contentType: res.headers.get('content-type'), events, comments, endedByServer };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  let current: Partial<SseEvent> & { data?: string } = {};
  let stop = false;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while (!stop && (nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (current.data !== undefined) {
            const e: SseEvent = {
              event: current.event ?? 'message',
              data: current.data,
              ...(current.id !== undefined ? { id: current.id } : {}),
            };
            events.push(e);
            if (opts.onEvent?.(e) === true) stop = true;
          }
          current = {};
          continue;
        }
        if (line.startsWith(':')) {
          comments++;
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
        else if (field === 'event') current.event = value;
        else if (field === 'id') current.id = value;
      }
      if (stop) break;
    }
    if (!stop) endedByServer = true;
  } catch (err) {
    if (!stop && (err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { status: res.status, contentType: res.headers.get('content-type'), events, comments, endedByServer };
}

/** The step numbers carried by the `steps` events, in the order received. */
export function stepsOf(events: SseEvent[]): number[] {
  return events.filter((e) => e.event === 'steps').flatMap((e) => (JSON.parse(e.data).steps as Array<{ step: number }>).map((s) => s.step));
}
