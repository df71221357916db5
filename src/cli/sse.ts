/**
 * Follows a job's event stream (GET /v1/jobs/:id/events), reconnecting with Last-Event-ID after
 * a dropped connection so no step is missed or repeated, until the final status.
 */
import { CliError, type ApiClient } from './client.ts';

export interface StreamEvent {
  event: string;
  data: unknown;
  id?: string;
}

/** Splits an event stream into events (comments and `retry:` lines are skipped). */
export async function* parseEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')), ...(id !== undefined ? { id } : {}) };
        event = 'message';
        data = [];
        id = undefined;
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
    }
  }
}

const MAX_RECONNECTS = 20;

/** Every event of the job until its final status; reconnects from the last step received. */
export async function* followJob(client: ApiClient, jobId: string): AsyncGenerator<StreamEvent> {
  let lastEventId: string | undefined;
  let failures = 0;
  for (;;) {
    let finalSeen = false;
    try {
      const res = await client.fetch('GET', `/v1/jobs/${jobId}/events`, {
        headers: { accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) },
      });
      for await (const e of parseEventStream(res.body!)) {
        failures = 0;
        if (e.id !== undefined) lastEventId = e.id;
        yield e;
        if (e.event === 'status' && ['succeeded', 'failed', 'canceled'].includes((e.data as { status: string }).status)) finalSeen = true;
      }
    } catch (err) {
      // A refusal (404, 401) is final; a dropped connection is tried again.
      if (err instanceof CliError && err.status !== undefined && err.status < 500) throw err;
      if (++failures > MAX_RECONNECTS)
        throw err instanceof CliError ? err : new CliError(`the event stream keeps failing: ${(err as Error).message}`);
    }
    if (finalSeen) return;
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
  }
}
