/**
 * /v1/trajectories: the optimizer playground. The path an optimizer takes on a function of two
 * variables, computed with the training code's own optimizers in the playground child process
 * (ctx.playground), since this process never loads TensorFlow.js.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FUNCTION_NAMES } from '../../playground/functions.ts';
import { MAX_STEPS, parseTrajectoryRequest } from '../../playground/request.ts';
import type { ApiContext } from '../context.ts';
import { OptimizerSchema } from '../request-schemas.ts';
import { ErrorBody } from '../schemas.ts';

/** Documented here, checked by parseTrajectoryRequest, whose errors name the field and list what is allowed. */
const Described = (description: string, example: unknown) => Type.Unsafe<unknown>({ description, examples: [example] });

const TrajectoryBody = Type.Object(
  {
    function: Described(`one of ${FUNCTION_NAMES.join(', ')}`, 'rosenbrock'),
    start: Described('`[x, y]`: two finite numbers, where the optimizer starts', [-1.5, 2]),
    steps: Described(`optimizer steps, an integer in [1, ${MAX_STEPS}]`, 500),
    optimizer: Type.Unsafe<Record<string, unknown>>({
      ...OptimizerSchema,
      description: 'an optimizer exactly as in a job (schedules, clipping, weight decay)',
    }),
  },
  { additionalProperties: false },
);

const Pair = Type.Array(Type.Number(), { minItems: 2, maxItems: 2 });

const Trajectory = Type.Object({
  function: Type.String(),
  points: Type.Array(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 }), {
    description: '`[x, y, f]` for the start and after each step: x, y in float32 as the optimizer holds them, f in float64 at that point',
  }),
  minima: Type.Array(Pair, { description: 'the known minima `[x, y]` (rastrigin: the global one; saddle: none)' }),
  diverged: Type.Optional(
    Type.Object({
      step: Type.Integer({ description: 'the step whose result was not finite; points end just before it' }),
      reason: Type.String(),
    }),
  ),
});

export function trajectoryRoutes({ playground }: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/trajectories',
      {
        schema: {
          summary: 'The path an optimizer takes on a test function (optimizer playground)',
          body: TrajectoryBody,
          response: { 200: Trajectory, 400: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        if (!playground)
          return reply.status(503).send({ error: 'unavailable', message: 'the optimizer playground is not running in this process' });
        return playground.run(parseTrajectoryRequest(request.body));
      },
    );
  };
}
