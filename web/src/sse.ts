/**
 * Server-Sent Events read with fetch and a ReadableStream rather than EventSource, which cannot
 * send an Authorization header. Reconnects with Last-Event-ID, so no step is missed or repeated.
 */
import { authHeaders, notifyUnauthorized } from './api.ts';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export interface EventStream {
  close(): void;
}

export function openEventStream(path: string, onEvent: (e: SseEvent) => void, lastEventId?: string): EventStream {
  const abort = new AbortController();
  let closed = false;
  let lastId = lastEventId;
  let retry = 1000;

  const run = async () => {
    while (!closed) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const res = await fetch(path, { headers, signal: abort.signal });
        if (res.status === 401) {
          notifyUnauthorized();
          return;
        }
        if (!res.ok || !res.body) return; // 4xx: nothing to retry (an unknown job, say)
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        let event = 'message';
        let data: string[] = [];
        let id: string | undefined;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const lines = buffer.split(/\r\n|\r|\n/);
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            if (line === '') {
              if (data.length) {
                if (id !== undefined) lastId = id;
                onEvent({ event, data: data.join('\n'), id });
              }
              event = 'message';
              data = [];
              id = undefined;
              continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = val;
            else if (field === 'data') data.push(val);
            else if (field === 'id') id = val;
            else if (field === 'retry' && /^\d+$/.test(val)) retry = Number(val);
          }
        }
      } catch {
        if (closed) return;
      }
      if (!closed) await new Promise((r) => setTimeout(r, retry));
    }
  };
  void run();
  return {
    close() {
      closed = true;
      abort.abort();
    },
  };
}
