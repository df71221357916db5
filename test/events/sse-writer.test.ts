/**
 * The SSE writer on a real HTTP server and socket, with short timings: heartbeats while idle,
 * and a client that stops reading is dropped once its buffer stays full, while the writer
 * (standing for the stream) never blocks longer than the drain timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { SseWriter } from '../../src/api/events/sse-writer.ts';

async function serve(handler: (res: ServerResponse) => void) {
  const server = createServer((_req, res) => handler(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

test('an idle stream gets a comment line every heartbeat', async () => {
  let writer: SseWriter | undefined;
  const { server, port } = await serve((res) => {
    writer = new SseWriter(res, () => {}, { heartbeatMs: 50 });
  });
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const until = Date.now() + 400;
  while (Date.now() < until) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
    if ((text.match(/: ping\n\n/g) ?? []).length >= 3) break;
  }
  assert.ok((text.match(/: ping\n\n/g) ?? []).length >= 3, text);
  writer!.end();
  await reader.cancel();
  server.close();
});

test('a client that stops reading is dropped after the drain timeout instead of holding the sender', async () => {
  let outcome: Promise<string> | undefined;
  const { server, port } = await serve((res) => {
    const writer = new SseWriter(res, () => {}, { heartbeatMs: 60_000, drainTimeoutMs: 300 });
    outcome = (async () => {
      const big = { steps: Array.from({ length: 2000 }, (_, i) => ({ step: i, epoch: 1, loss: 0.5, learningRate: 0.01 })) };
      const started = Date.now();
      try {
        for (let i = 0; i < 10_000; i++) await writer.send('steps', big, i);
        return 'never blocked';
      } catch (err) {
        return `${(err as Error).message} after ${Date.now() - started} ms`;
      }
    })();
  });
  // A raw socket that sends the request and then never reads.
  const socket = connect(port, '127.0.0.1');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  socket.pause();
  while (!outcome) await new Promise((r) => setTimeout(r, 10));
  const result = await outcome;
  assert.match(result, /^client too slow; dropped after \d+ ms$/);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.resume(); // drain what was buffered: the server has ended the connection
  await closed;
  server.close();
});
