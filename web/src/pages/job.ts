/**
 * `/jobs/:id`: the loss curve, live while the job runs (every step, smoothed, validation loss per
 * epoch, learning rate), the epoch table, the job's facts and spec, cancel / continue / download.
 * History comes bucketed (`?points=`), so a long job loads fast; the event stream then resumes
 * after its last step with every new one.
 */
import { api, ApiError, download } from '../api.ts';
import { lineChart, type Chart } from '../chart.ts';
import { fmt, h, replace, statusBadge, when } from '../dom.ts';
import { navigate } from '../navigation.ts';
import { openEventStream, type EventStream } from '../sse.ts';
import { smooth } from '../../../src/analysis/smoothing.ts';
import {
  FINISHED,
  type BucketedMetrics,
  type EpochRecord,
  type Job,
  type JobRequest,
  type JobStatus,
  type Progress,
  type StepPoint,
} from '../types.ts';

const HISTORY_POINTS = 4000;

export function jobPage(main: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  let job: Job | null = null;
  let stream: EventStream | null = null;
  let chart: Chart | null = null;
  let stopped = false;

  const xs: number[] = [];
  const losses: number[] = [];
  const rates: number[] = [];
  const epochs = new Map<number, EpochRecord>();
  const epochEnd = new Map<number, number>();

  const title = h('h1', {}, 'Job');
  const status = h('span');
  const facts = h('dl', { class: 'facts' });
  const bar = h('progress', { 'aria-label': 'training progress', max: 1, value: 0 });
  const actions = h('div', { class: 'actions' });
  const message = h('p', { class: 'error', role: 'alert' });
  const chartBox = h('div', {
    class: 'chart',
    id: 'loss-chart',
    role: 'img',
    'aria-label': 'loss per step, smoothed loss, validation loss per epoch and learning rate',
  });
  const epochBody = h('tbody');
  const spec = h('pre', { class: 'spec' });
  main.append(
    h('div', { class: 'title-row' }, title, status),
    bar,
    facts,
    actions,
    message,
    h('h2', {}, 'Loss'),
    chartBox,
    h('h2', {}, 'Epochs'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'epochs' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Epoch', 'Loss', 'Val loss', 'Accuracy', 'Val accuracy'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        epochBody,
      ),
    ),
    h('details', { class: 'spec-box' }, h('summary', {}, 'Spec (every default filled in)'), spec),
  );

  const redraw = () => {
    if (!chart) return;
    // Validation loss sits at the last step of its epoch (the nearest recorded step before it).
    const val: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    // A continued job numbers its epochs and steps after its source's; `training.epochs` is
    // the number it adds, and `totalSteps` its own steps.
    const ownEpochs = job?.spec.training.epochs || 1;
    const perEpoch = job ? Math.max(1, Math.round(job.progress.totalSteps / ownEpochs)) : 1;
    const sorted = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
    const first = sorted[0]?.epoch ?? 1;
    const firstStep = xs[0] ?? 1;
    for (const e of sorted) {
      if (e.valLoss === undefined) continue;
      const end = epochEnd.get(e.epoch) ?? firstStep - 1 + (e.epoch - first + 1) * perEpoch;
      let lo = 0;
      let hi = xs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (xs[mid] <= end) lo = mid;
        else hi = mid - 1;
      }
      if (xs.length) val[lo] = e.valLoss;
    }
    // The service's smoothing, so the curve is the one GET /v1/jobs/:id/loss.svg draws.
    chart.set([xs, losses, smooth(losses), val, rates]);
  };

  const showEpochs = () => {
    const sorted = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
    replace(
      epochBody,
      sorted.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, e.epoch),
          h('td', { class: 'num' }, fmt(e.loss)),
          h('td', { class: 'num' }, fmt(e.valLoss)),
          h('td', { class: 'num' }, fmt(e.accuracy)),
          h('td', { class: 'num' }, fmt(e.valAccuracy)),
        ),
      ),
    );
  };

  const showJob = () => {
    if (!job) return;
    const j = job;
    replace(title, j.name ?? `Job ${j.id.slice(0, 8)}`);
    replace(status, statusBadge(j.status));
    bar.max = Math.max(1, j.progress.totalSteps);
    bar.value = j.progress.step;
    const last = [...epochs.values()].sort((a, b) => b.epoch - a.epoch)[0];
    const fact = (k: string, v: string | number) => [h('dt', {}, k), h('dd', {}, v)];
    replace(
      facts,
      fact('Step', `${j.progress.step} / ${j.progress.totalSteps}`),
      fact('Epoch', `${j.progress.epoch} / ${j.progress.epochs}`),
      fact('Loss', fmt(j.progress.loss)),
      fact('Accuracy', last?.accuracy !== undefined ? `${fmt(last.accuracy, 3)} (val ${fmt(last.valAccuracy, 3)})` : '–'),
      fact('Backend', j.backend ?? '–'),
      fact('Samples/s', j.progress.samplesPerSecond ? Math.round(j.progress.samplesPerSecond).toLocaleString() : '–'),
      fact('Optimizer', j.spec.optimizer.name),
      fact('Created', when(j.createdAt)),
      fact('Finished', when(j.finishedAt)),
    );
    if (j.error) replace(message, j.error);
    replace(spec, JSON.stringify(j.spec, null, 2));
    const running = !FINISHED.has(j.status);
    const ok = j.status === 'succeeded';
    replace(
      actions,
      running ? h('button', { type: 'button', id: 'cancel', onclick: () => void cancel() }, 'Cancel') : null,
      ok ? h('button', { type: 'button', id: 'continue', onclick: () => void continueJob() }, 'Continue training') : null,
      ok
        ? h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => void save('model/model.json', 'model.json') },
            'Download model.json',
          )
        : null,
      ok
        ? h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => void save('model/weights.bin', 'weights.bin') },
            'Download weights.bin',
          )
        : null,
      ok
        ? h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => void save('optimizer-state', 'optimizer-state.json') },
            'Download optimizer state',
          )
        : null,
    );
  };

  const fail = (e: unknown) => replace(message, e instanceof Error ? e.message : String(e));
  const save = (path: string, name: string) => download(`/v1/jobs/${id}/${path}`, name).catch(fail);

  async function cancel() {
    try {
      job = await api<Job>(`/v1/jobs/${id}/cancel`, { method: 'POST' });
      showJob();
    } catch (e) {
      fail(e);
    }
  }

  async function continueJob() {
    if (!job) return;
    const s = job.spec;
    const body: JobRequest = {
      name: `${job.name ?? 'job'} (continued)`.slice(0, 200),
      dataset: s.dataset,
      model: s.model,
      optimizer: s.optimizer,
      training: s.training,
      initFrom: { jobId: job.id, optimizerState: true },
    };
    try {
      const next = await api<Job>('/v1/jobs', { json: body });
      navigate(`/jobs/${next.id}`);
    } catch (e) {
      fail(e);
    }
  }

  const onEvent = (event: string, data: string) => {
    if (!job) return;
    if (event === 'steps') {
      for (const s of (JSON.parse(data) as { steps: StepPoint[] }).steps) {
        if (xs.length && s.step <= xs[xs.length - 1]) continue;
        xs.push(s.step);
        losses.push(s.loss);
        rates.push(s.learningRate);
        epochEnd.set(s.epoch, s.step);
      }
      redraw();
    } else if (event === 'epoch') {
      const e = JSON.parse(data) as EpochRecord;
      epochs.set(e.epoch, e);
      showEpochs();
      redraw();
    } else if (event === 'progress') {
      job.progress = JSON.parse(data) as Progress;
      showJob();
    } else if (event === 'status') {
      const st = JSON.parse(data) as { status: JobStatus; error?: string; finishedAt: string | null };
      job.status = st.status;
      if (st.error) job.error = st.error;
      job.finishedAt = st.finishedAt;
      showJob();
      if (FINISHED.has(st.status)) stream?.close();
      // The backend (once a worker has it) and the final progress are on the job itself.
      api<Job>(`/v1/jobs/${id}`)
        .then((j) => {
          job = j;
          showJob();
        })
        .catch(() => {});
    }
  };

  void (async () => {
    try {
      job = await api<Job>(`/v1/jobs/${id}`);
      const m = await api<BucketedMetrics>(`/v1/jobs/${id}/metrics?points=${HISTORY_POINTS}`);
      if (stopped) return;
      for (const b of m.buckets) {
        xs.push(b.lastStep);
        losses.push(b.steps === 1 ? b.lastLoss : b.meanLoss);
        rates.push(b.learningRate);
      }
      for (const e of m.epochs) epochs.set(e.epoch, e);
      showJob();
      showEpochs();
      chart = lineChart(chartBox, {
        series: [
          { label: 'loss', stroke: 'rgba(29, 78, 216, 0.3)', width: 1, points: { show: false } },
          { label: 'smoothed', stroke: '#1d4ed8', width: 2, points: { show: false } },
          { label: 'val loss', stroke: '#dc2626', width: 2, spanGaps: true, points: { show: true, size: 6 } },
          { label: 'learning rate', stroke: '#059669', width: 1, dash: [4, 4], scale: 'lr', points: { show: false } },
        ],
        scales: { x: { time: false }, lr: { auto: true } },
        axes: [{ label: 'step' }, { label: 'loss' }, { label: 'learning rate', scale: 'lr', side: 1, grid: { show: false } }],
      });
      redraw();
      const lastStep = xs.length ? xs[xs.length - 1] : 0;
      stream = openEventStream(`/v1/jobs/${id}/events`, (e) => onEvent(e.event, e.data), String(lastStep));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) replace(main, h('h1', {}, 'Not found'), h('p', {}, e.message));
      else fail(e);
    }
  })();

  return () => {
    stopped = true;
    stream?.close();
    chart?.destroy();
  };
}
