/**
 * The API's answers as the pages name them: every type here is read from the OpenAPI document
 * (generated/openapi.ts, written by scripts/web-types.ts at install and before each type
 * check), so a change of the API that breaks a page fails `tsc -p web`.
 */
import type { paths } from './generated/openapi.ts';

type JsonOf<R> = R extends { content: { 'application/json': infer Body } } ? Body : never;
type Ok<Responses> = JsonOf<Responses[Extract<keyof Responses, 200 | 201 | 202>]>;

/** The JSON body of a successful answer to `method` on `path` (a path as the document spells it). */
export type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R } ? Ok<R> : never;

/** The JSON body `method` on `path` takes. */
export type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer B } ? JsonOf<B> : never;

/** A job request; a job's `spec` is one with every default filled in (the document types it loosely). */
export type JobRequest = Body<'/v1/jobs', 'post'>;
export type Job = Omit<Answer<'/v1/jobs/{id}', 'get'>, 'spec'> & { spec: JobRequest };
export type JobStatus = Job['status'];
export type Progress = Job['progress'];

type Metrics = Answer<'/v1/jobs/{id}/metrics', 'get'>;
/** `?points=N`: the whole run in buckets. */
export type BucketedMetrics = Extract<Metrics, { buckets: unknown }>;
/** A step's record, as the paged metrics and the event stream's `steps` events carry it. */
export type StepPoint = Extract<Metrics, { nextFromStep: unknown }>['steps'][number];
/** An epoch's record, as the metrics and the event stream's `epoch` events carry it. */
export type EpochRecord = Metrics['epochs'][number];

export type Comparison = Answer<'/v1/comparisons/{id}', 'get'>;
export type Trajectory = Answer<'/v1/trajectories', 'post'>;

export const FINISHED: ReadonlySet<string> = new Set<JobStatus>(['succeeded', 'failed', 'canceled']);
