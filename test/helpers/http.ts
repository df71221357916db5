/** Small HTTP helpers over fetch, and the job specs tests submit. */
import { untilValue } from './until.ts';

export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Polls a job until `done(job)` (no deadline: see until.ts); returns it. */
export async function waitForJob(
  base: string,
  id: string,
  done: (job: any) => boolean,
  headers: Record<string, string> = {},
): Promise<any> {
  return untilValue(async () => (await api(base, 'GET', `/v1/jobs/${id}`, undefined, headers)).json, done);
}

/** The step numbers a job has recorded, in order. */
export async function recordedSteps(base: string, id: string): Promise<number[]> {
  const { json } = await api(base, 'GET', `/v1/jobs/${id}/metrics?limit=10000`);
  return json.steps.map((s: any) => s.step);
}

export const finished = (job: any) => ['succeeded', 'failed', 'canceled'].includes(job?.status);

/** A small iris classifier: 150 examples, a few dozen steps. */
export function irisJob(overrides: { training?: object; optimizer?: object; model?: object } = {}) {
  return {
    name: 'iris test',
    dataset: { builtin: 'iris' },
    model: {
      layers: [
        { type: 'dense', units: 8, activation: 'relu' },
        { type: 'dropout', rate: 0.1 },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
      ...overrides.model,
    },
    optimizer: { name: 'adam', learningRate: 0.01, ...overrides.optimizer },
    training: { epochs: 5, batchSize: 16, validationSplit: 0.2, seed: 7, ...overrides.training },
  };
}

/**
 * A job of 64 small steps an epoch, on the fused dense step (fast). A test that needs it running
 * (to cancel it, kill its worker) holds it at a step (helpers/hold.ts) rather than racing it.
 */
export function xorJob(epochs = 20) {
  return {
    dataset: { builtin: 'xor', samples: 256 },
    model: {
      layers: [
        { type: 'dense', units: 8, activation: 'tanh' },
        { type: 'dense', units: 1, activation: 'sigmoid' },
      ],
      loss: 'binaryCrossentropy',
    },
    optimizer: { name: 'sgd', learningRate: 0.05 },
    training: { epochs, batchSize: 4, seed: 3 },
  };
}
