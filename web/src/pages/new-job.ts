/**
 * `/new`: a job (or, with "compare optimizers", a comparison) from a form. The API validates;
 * its message is shown beside the field that `details.field` names.
 */
import { BUILTIN_DATASETS } from '../../../src/domain/dataset-types.ts';
import { LAYER_TYPES, LOSSES, type Loss } from '../../../src/domain/model.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from '../../../src/domain/optimizer.ts';
import { SCHEDULE_TYPES, type LearningRateSchedule, type ScheduleType } from '../../../src/domain/schedules.ts';
import { api, ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { field, FieldErrors, input, parseJson, select, textarea } from '../forms.ts';
import { navigate } from '../navigation.ts';
import type { Answer, Job, JobRequest } from '../types.ts';

const DEFAULT_LOSS: Loss = 'sparseCategoricalCrossentropy';
const DEFAULT_OPTIMIZER: OptimizerName = 'adam';
/** A starting point for each schedule's options, shown when it is picked (keyed by type: a new schedule needs one). */
const SCHEDULES: { [T in ScheduleType]: Partial<Omit<Extract<LearningRateSchedule, { type: T }>, 'type'>> } = {
  exponential: { decaySteps: 100, decayRate: 0.9 },
  inverseTime: { decaySteps: 100, decayRate: 0.5 },
  polynomial: { decaySteps: 1000, endLearningRate: 0.0001 },
  cosine: { decaySteps: 1000, warmupSteps: 0 },
  cosineRestarts: { firstDecaySteps: 100 },
  piecewiseConstant: { boundaries: [500], values: [0.01, 0.001] },
};
const IRIS_LAYERS: JobRequest['model']['layers'] = [
  { type: 'dense', units: 16, activation: 'relu' },
  { type: 'dense', units: 3, activation: 'softmax' },
];

export function newJobPage(main: HTMLElement): () => void {
  const general = h('p', { class: 'error', role: 'alert', id: 'form-error' });
  const errors = new FieldErrors(general);

  const name = field('name', 'Name', input('text', '', { maxlength: 200, placeholder: 'iris-mlp' }));
  const dataset = field(
    'dataset',
    'Dataset',
    select(
      BUILTIN_DATASETS.map((b) => [`builtin:${b}`, `${b} (builtin)`]),
      'builtin:iris',
    ),
  );
  const samples = field(
    'dataset.samples',
    'Samples',
    input('number', '', { min: 1, step: 1, placeholder: 'default' }),
    "Leave empty for the dataset's default.",
  );
  const layers = field(
    'model.layers',
    'Layers (JSON)',
    textarea(JSON.stringify(IRIS_LAYERS, null, 2), 6),
    `A list of { type, ...options }: ${LAYER_TYPES.join(', ')}.`,
  );
  const loss = field(
    'model.loss',
    'Loss',
    select(
      LOSSES.map((l) => [l, l]),
      DEFAULT_LOSS,
    ),
  );
  const accuracy = h('input', { type: 'checkbox', id: 'metric-accuracy', checked: true });
  const optimizer = field(
    'optimizer.name',
    'Optimizer',
    select(
      OPTIMIZER_NAMES.map((o) => [o, o]),
      DEFAULT_OPTIMIZER,
    ),
  );
  const lr = field('optimizer.learningRate', 'Learning rate', input('number', 0.01, { step: 'any', min: 0 }));
  const schedule = field(
    'optimizer.learningRate.type',
    'Schedule',
    select([['', 'constant'], ...SCHEDULE_TYPES.map((s): [string, string] => [s, s])], ''),
  );
  const scheduleOpts = field(
    'optimizer.learningRate',
    'Schedule options (JSON)',
    textarea('{}', 2),
    'initialLearningRate is the learning rate above.',
  );
  scheduleOpts.row.hidden = true;
  const options = field(
    'optimizer',
    'Optimizer options (JSON)',
    textarea('{}', 2),
    'e.g. { "beta1": 0.9, "clipNorm": 1, "weightDecay": 0.004 }',
  );
  const epochs = field('training.epochs', 'Epochs', input('number', 20, { min: 1, step: 1, required: 'required' }));
  const batch = field('training.batchSize', 'Batch size', input('number', 16, { min: 1, step: 1, required: 'required' }));
  const split = field('training.validationSplit', 'Validation split', input('number', 0.2, { min: 0, max: 0.99, step: 'any' }));
  const seed = field('training.seed', 'Seed', input('number', '', { min: 0, step: 1, placeholder: 'random' }));
  const compare = h('input', { type: 'checkbox', id: 'compare', role: 'switch' });
  const variants = field(
    'variants',
    'Optimizers to compare',
    textarea('adam 0.01\nsgd 0.1\nmomentum 0.05', 4),
    'One per line: name, learning rate, then options as JSON if any, e.g. adam 0.01 {"beta2": 0.99}',
  );
  variants.row.hidden = true;
  errors.add(name, dataset, samples, layers, loss, optimizer, lr, schedule, scheduleOpts, options, epochs, batch, split, seed, variants);

  const single = h('fieldset', {}, h('legend', {}, 'Optimizer'), optimizer.row, lr.row, schedule.row, scheduleOpts.row, options.row);
  schedule.control.addEventListener('change', () => {
    const t = schedule.control.value;
    scheduleOpts.row.hidden = !t;
    if (t) (scheduleOpts.control as HTMLTextAreaElement).value = JSON.stringify(SCHEDULES[t as ScheduleType]);
  });
  compare.addEventListener('change', () => {
    single.hidden = compare.checked;
    variants.row.hidden = !compare.checked;
    submit.textContent = compare.checked ? 'Start comparison' : 'Submit job';
  });

  const submit = h('button', { type: 'submit', id: 'submit' }, 'Submit job');
  const form = h(
    'form',
    {
      id: 'new-job',
      novalidate: true,
      onsubmit: (ev: SubmitEvent) => {
        ev.preventDefault();
        void send();
      },
    },
    h('h1', {}, 'New job'),
    general,
    h('fieldset', {}, h('legend', {}, 'Data'), name.row, dataset.row, samples.row),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Model'),
      layers.row,
      loss.row,
      h('div', { class: 'field check' }, accuracy, h('label', { for: 'metric-accuracy' }, 'Report accuracy (classification)')),
    ),
    h(
      'div',
      { class: 'field check switch' },
      compare,
      h('label', { for: 'compare' }, 'Compare optimizers (one job per optimizer, same data and initial weights)'),
    ),
    single,
    variants.row,
    h('fieldset', {}, h('legend', {}, 'Training'), epochs.row, batch.row, split.row, seed.row),
    submit,
  );
  main.append(form);

  // Uploaded datasets join the builtin ones in the list.
  api<Answer<'/v1/datasets', 'get'>>('/v1/datasets')
    .then(({ datasets }) => {
      for (const d of datasets)
        dataset.control.append(h('option', { value: `id:${d.id}` }, `${d.name ?? d.id.slice(0, 8)} (uploaded, ${d.rows} rows)`));
    })
    .catch(() => {});

  const num = (el: Field['control'], asInt = false): number | undefined => {
    const v = el.value.trim();
    if (v === '') return undefined;
    return asInt ? Number.parseInt(v, 10) : Number(v);
  };
  type Field = { control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement };

  const jsonField = (f: { control: Field['control']; path: string }, what: string): unknown => {
    try {
      return parseJson(f.control.value, what);
    } catch (e) {
      errors.show(f.path, (e as Error).message);
      throw e;
    }
  };

  const optimizerSpec = (): Record<string, unknown> => {
    const opts = jsonField(options, 'optimizer options');
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      errors.show('optimizer', 'optimizer options: must be a JSON object');
      throw new Error('bad options');
    }
    const rate = num(lr.control);
    const spec: Record<string, unknown> = { name: optimizer.control.value, ...opts };
    if (schedule.control.value) {
      const s = jsonField(scheduleOpts, 'schedule options') as Record<string, unknown>;
      spec.learningRate = { type: schedule.control.value, initialLearningRate: rate ?? 0.001, ...s };
    } else if (rate !== undefined) spec.learningRate = rate;
    return spec;
  };

  const variantList = (): { optimizer: Record<string, unknown> }[] => {
    const lines = variants.control.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return lines.map((line, i) => {
      const m = /^(\S+)(?:\s+(\S+))?(?:\s+(\{.*\}))?$/.exec(line);
      if (!m) {
        errors.show('variants', `line ${i + 1}: write "name learningRate {options}"`);
        throw new Error('bad variant');
      }
      let extra: unknown = {};
      try {
        if (m[3]) extra = parseJson(m[3], `line ${i + 1} options`);
      } catch (e) {
        errors.show('variants', (e as Error).message);
        throw e;
      }
      const opt: Record<string, unknown> = { name: m[1], ...(extra as object) };
      if (m[2] !== undefined) opt.learningRate = Number(m[2]);
      return { optimizer: opt };
    });
  };

  async function send() {
    errors.clear();
    let base: Record<string, unknown>;
    let body: Record<string, unknown>;
    try {
      const [kind, ref] = dataset.control.value.split(/:(.*)/s);
      const ds: Record<string, unknown> = kind === 'id' ? { id: ref } : { builtin: ref };
      const n = num(samples.control, true);
      if (n !== undefined) ds.samples = n;
      const training: Record<string, unknown> = { epochs: num(epochs.control, true), batchSize: num(batch.control, true) };
      const vs = num(split.control);
      if (vs !== undefined) training.validationSplit = vs;
      const sd = num(seed.control, true);
      if (sd !== undefined) training.seed = sd;
      const model: Record<string, unknown> = { layers: jsonField(layers, 'layers'), loss: loss.control.value };
      if (accuracy.checked) model.metrics = ['accuracy'];
      base = { dataset: ds, model, training };
      const nm = name.control.value.trim();
      body = compare.checked
        ? { ...(nm ? { name: nm } : {}), base, variants: variantList() }
        : { ...(nm ? { name: nm } : {}), ...base, optimizer: optimizerSpec() };
    } catch {
      return; // the message is already beside its field
    }
    submit.disabled = true;
    try {
      if (compare.checked) {
        const c = await api<Answer<'/v1/comparisons', 'post'>>('/v1/comparisons', { json: body });
        navigate(`/comparisons/${c.id}`);
      } else {
        const job = await api<Job>('/v1/jobs', { json: body });
        navigate(`/jobs/${job.id}`);
      }
    } catch (e) {
      // A comparison names its base's fields as `base.x`: those are this form's `x`.
      if (e instanceof ApiError) errors.show(e.field?.replace(/^base\./, ''), e.message);
      else errors.show(undefined, (e as Error).message);
    } finally {
      submit.disabled = false;
    }
  }

  return () => {};
}
