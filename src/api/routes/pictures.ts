/**
 * Server-rendered SVG charts (800×400, no browser needed): a job's loss curve, a comparison's
 * runs on one chart, and optimizer paths over a test function's contour lines.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { DomainError, invalid } from '../../errors.ts';
import { comparisonChart } from '../../pictures/comparison-chart.ts';
import { contourPlot, type PlotRange } from '../../pictures/contour-plot.ts';
import { lossChart } from '../../pictures/loss-chart.ts';
import { comparisonResults, epochSeries, lossSeries } from '../../store/comparisons.ts';
import { FUNCTIONS, FUNCTION_NAMES, type FunctionName } from '../../playground/functions.ts';
import { MAX_STEPS, parseTrajectoryRequest, type TrajectoryRequest } from '../../playground/request.ts';
import { variantLabel } from '../../comparisons/request.ts';
import { requireComparison } from '../../comparisons/find.ts';
import { labels } from '../../comparisons/view.ts';
import type { ApiContext } from '../context.ts';
import { requireJob } from '../../jobs/find.ts';
import { OptimizerSchema } from '../request-schemas.ts';
import { ErrorBody, JobIdParams } from '../schemas.ts';

/** Points per curve: about one per pixel of an 800-wide chart; more steps are averaged in buckets. */
const JOB_POINTS = 1000;
const RUN_POINTS = 500;
/** Paths on one contour plot: more are unreadable (and the palette has ten colours). */
const MAX_PATHS = 10;

/** The window each function is usually drawn in (the literature's, e.g. Rosenbrock's banana). */
const DEFAULT_RANGES: Record<FunctionName, PlotRange> = {
  rosenbrock: { x: [-2, 2], y: [-1, 3] },
  beale: { x: [-4.5, 4.5], y: [-4.5, 4.5] },
  saddle: { x: [-2, 2], y: [-2, 2] },
  quadratic: { x: [-2, 2], y: [-2, 2] },
  rastrigin: { x: [-5.12, 5.12], y: [-5.12, 5.12] },
  himmelblau: { x: [-5, 5], y: [-5, 5] },
};

/** The default window, widened to hold the start with a margin. */
function rangeAround(fn: FunctionName, start: [number, number]): PlotRange {
  const { x, y } = DEFAULT_RANGES[fn];
  const widen = ([lo, hi]: [number, number], v: number): [number, number] => {
    const margin = (Math.max(hi, v) - Math.min(lo, v)) * 0.1;
    return [v < lo ? v - margin : lo, v > hi ? v + margin : hi];
  };
  return { x: widen(x, start[0]), y: widen(y, start[1]) };
}

function parseRange(input: { x: number[]; y: number[] }): PlotRange {
  const axisOf = (key: 'x' | 'y'): [number, number] => {
    const [lo, hi] = input[key];
    if (!(lo < hi)) invalid(`range.${key}`, `must be [low, high] with low < high, got [${lo}, ${hi}]`);
    return [lo, hi];
  };
  return { x: axisOf('x'), y: axisOf('y') };
}

const Finite = Type.Number({ minimum: -1e15, maximum: 1e15 });
const PlotBody = Type.Object(
  {
    function: Type.Unsafe<FunctionName>({ type: 'string', enum: [...FUNCTION_NAMES] }),
    start: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '`[x, y]` where every optimizer starts' }),
    steps: Type.Integer({ minimum: 1, maximum: MAX_STEPS }),
    optimizers: Type.Array(OptimizerSchema, {
      minItems: 1,
      maxItems: MAX_PATHS,
      description: 'optimizers as in a job, one path each',
      examples: [
        [
          { name: 'sgd', learningRate: 0.001 },
          { name: 'adam', learningRate: 0.05 },
        ],
      ],
    }),
    range: Type.Optional(
      Type.Object(
        {
          x: Type.Array(Finite, { minItems: 2, maxItems: 2 }),
          y: Type.Array(Finite, { minItems: 2, maxItems: 2 }),
        },
        { additionalProperties: false, description: "the window drawn; by default the function's usual one, widened to hold the start" },
      ),
    ),
  },
  { additionalProperties: false },
);

const svg = (reply: FastifyReply, text: string) => reply.type('image/svg+xml; charset=utf-8').send(text);

export function pictureRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { db, playground } = ctx;
  return async (app) => {
    app.get(
      '/v1/jobs/:id/loss.svg',
      {
        schema: {
          summary: "A job's loss curve as SVG: each step, smoothed, validation loss per epoch, learning rate",
          params: JobIdParams,
          response: { 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const job = await requireJob(db, request.principal.tenant, request.params.id);
        const [steps, epochs] = await Promise.all([lossSeries(db, job.id, JOB_POINTS), epochSeries(db, job.id)]);
        const { optimizer } = job.spec;
        return svg(reply, lossChart(`${job.name ?? job.id} (${variantLabel(optimizer)}, ${job.status})`, steps, epochs));
      },
    );

    app.get(
      '/v1/comparisons/:id/loss.svg',
      {
        schema: { summary: 'Every variant of a comparison on one loss chart (SVG)', params: JobIdParams, response: { 404: ErrorBody } },
      },
      async (request, reply) => {
        const comparison = await requireComparison(db, request.principal.tenant, 'comparison', request.params.id);
        const results = await comparisonResults(db, comparison.id, comparison.target);
        const names = labels(results);
        const runs = await Promise.all(
          results.map(async (r, i) => ({
            label: names[i],
            steps: await lossSeries(db, r.jobId, RUN_POINTS),
            divergedAtStep: r.divergedAtStep,
          })),
        );
        return svg(reply, comparisonChart(comparison.name ?? `comparison ${comparison.id}`, runs));
      },
    );

    app.post(
      '/v1/trajectories/plot.svg',
      {
        schema: {
          summary: "Optimizer paths over a test function's contour lines (SVG)",
          body: PlotBody,
          response: { 400: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const requests: TrajectoryRequest[] = body.optimizers.map((optimizer, i) => {
          try {
            return parseTrajectoryRequest({ function: body.function, start: body.start, steps: body.steps, optimizer });
          } catch (err) {
            if (err instanceof DomainError && err.field.startsWith('optimizer')) {
              throw err.withField(`optimizers[${i}]${err.field.slice('optimizer'.length)}`);
            }
            throw err;
          }
        });
        const range = body.range ? parseRange(body.range) : rangeAround(body.function, requests[0].start);
        if (!playground)
          return reply.status(503).send({ error: 'unavailable', message: 'the optimizer playground is not running in this process' });
        const results = [];
        for (const r of requests) results.push(await playground.run(r));
        const fn = FUNCTIONS[body.function];
        return svg(
          reply,
          contourPlot({
            title: `${body.function} from (${body.start.join(', ')}), ${body.steps} steps`,
            value: fn.value,
            minima: fn.minima,
            range,
            paths: results.map((r, i) => ({
              label: variantLabel(requests[i].optimizer),
              points: r.points,
              divergedAtStep: r.diverged?.step,
            })),
          }),
        );
      },
    );
  };
}
