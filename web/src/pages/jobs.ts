/**
 * `/`: jobs newest first with live status and progress (one event stream per unfinished job,
 * a few at most: the browser keeps six connections per origin), a status filter, and the
 * recent comparisons.
 */
import { api } from '../api.ts';
import { fmt, h, replace, statusBadge, when } from '../dom.ts';
import { openEventStream, type EventStream } from '../sse.ts';
import { FINISHED, type Answer, type Progress } from '../types.ts';

type Job = Answer<'/v1/jobs', 'get'>['jobs'][number];

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'];
const MAX_STREAMS = 4;

interface Row {
  status: HTMLTableCellElement;
  bar: HTMLProgressElement;
  steps: HTMLElement;
  loss: HTMLTableCellElement;
}

export function jobListPage(main: HTMLElement): () => void {
  const params = new URLSearchParams(location.search);
  const filter = h(
    'select',
    { id: 'status-filter' },
    h('option', { value: '' }, 'all'),
    STATUSES.map((s) => h('option', { value: s }, s)),
  );
  filter.value = params.get('status') ?? '';
  const tbody = h('tbody');
  const cmpList = h('ul', { class: 'plain' });
  const note = h('p', { class: 'muted', role: 'status' });
  main.append(
    h('div', { class: 'title-row' }, h('h1', {}, 'Jobs'), h('a', { class: 'button', href: '/new' }, 'New job')),
    h('div', { class: 'field inline' }, h('label', { for: 'status-filter' }, 'Status'), filter),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'jobs' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Status', 'Progress', 'Loss', 'Created'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        tbody,
      ),
    ),
    note,
    h('h2', {}, 'Comparisons'),
    cmpList,
  );

  const rows = new Map<string, Row>();
  const streams = new Map<string, EventStream>();
  let stopped = false;

  const showProgress = (r: Row, p: Progress) => {
    r.bar.max = Math.max(1, p.totalSteps);
    r.bar.value = p.step;
    replace(r.steps, `${p.step} / ${p.totalSteps}`);
    replace(r.loss, fmt(p.loss));
  };

  const follow = (job: Job) => {
    if (streams.has(job.id) || streams.size >= MAX_STREAMS) return;
    // Start after the steps already counted: the list needs progress and status, not history.
    const s = openEventStream(
      `/v1/jobs/${job.id}/events`,
      (e) => {
        const r = rows.get(job.id);
        if (e.event === 'progress' && r) showProgress(r, JSON.parse(e.data) as Progress);
        if (e.event === 'status') {
          const st = (JSON.parse(e.data) as { status: string }).status;
          if (r) replace(r.status, statusBadge(st));
          if (FINISHED.has(st)) {
            s.close();
            streams.delete(job.id);
          }
        }
      },
      String(job.progress.step),
    );
    streams.set(job.id, s);
  };

  const load = async () => {
    const q = filter.value ? `?status=${filter.value}&limit=50` : '?limit=50';
    const { jobs } = await api<Answer<'/v1/jobs', 'get'>>(`/v1/jobs${q}`);
    if (stopped) return;
    rows.clear();
    replace(
      tbody,
      jobs.map((job) => {
        const r: Row = {
          status: h('td', {}, statusBadge(job.status)),
          bar: h('progress', { 'aria-label': `progress of ${job.name ?? job.id}` }),
          steps: h('span', { class: 'muted small' }),
          loss: h('td', { class: 'num' }),
        };
        showProgress(r, job.progress);
        rows.set(job.id, r);
        return h(
          'tr',
          { 'data-job': job.id },
          h('td', {}, h('a', { href: `/jobs/${job.id}` }, job.name ?? job.id.slice(0, 8))),
          r.status,
          h('td', { class: 'progress-cell' }, r.bar, ' ', r.steps),
          r.loss,
          h('td', {}, when(job.createdAt)),
        );
      }),
    );
    replace(note, jobs.length ? '' : 'No jobs yet. Submit one from "New job".');
    for (const [id, s] of streams)
      if (!rows.has(id)) {
        s.close();
        streams.delete(id);
      }
    for (const job of jobs) if (!FINISHED.has(job.status)) follow(job);
  };

  const loadComparisons = async () => {
    const { comparisons } = await api<Answer<'/v1/comparisons', 'get'>>('/v1/comparisons?limit=10');
    if (stopped) return;
    replace(
      cmpList,
      comparisons.length
        ? comparisons.map((c) =>
            h(
              'li',
              {},
              h('a', { href: `/comparisons/${c.id}` }, c.name ?? c.id.slice(0, 8)),
              ' ',
              statusBadge(c.status),
              ' ',
              h('span', { class: 'muted small' }, when(c.createdAt)),
            ),
          )
        : h('li', { class: 'muted' }, 'None yet: turn on "compare optimizers" in the new-job form.'),
    );
  };

  const refresh = () => {
    load().catch((e: Error) => replace(note, e.message));
    loadComparisons().catch(() => {});
  };
  filter.addEventListener('change', () => {
    history.replaceState(null, '', filter.value ? `/?status=${filter.value}` : '/');
    refresh();
  });
  refresh();
  // New jobs appear without a reload; running ones move by their event streams.
  const timer = setInterval(refresh, 5000);
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const s of streams.values()) s.close();
  };
}
