/**
 * `/datasets`: uploaded datasets; upload a CSV or JSON file by drag and drop (or the file
 * picker), with the parser's error shown when the file is refused.
 */
import { api, ApiError, request } from '../api.ts';
import { h, replace, when } from '../dom.ts';
import { field, FieldErrors, input, select } from '../forms.ts';
import type { Answer } from '../types.ts';

export function datasetsPage(main: HTMLElement): () => void {
  const general = h('p', { class: 'error', role: 'alert', id: 'upload-error' });
  const errors = new FieldErrors(general);
  const file = h('input', { type: 'file', id: 'ds-file', accept: '.csv,.json,text/csv,application/json' });
  const name = field('name', 'Name', input('text', '', { maxlength: 200 }));
  const label = field(
    'label',
    'Label column (CSV)',
    input('text', '', { placeholder: 'e.g. species' }),
    'Required for a CSV: the column that holds the labels.',
  );
  const task = field(
    'task',
    'Task',
    select(
      [
        ['', 'decide from the labels'],
        ['classification', 'classification'],
        ['regression', 'regression'],
      ],
      '',
    ),
  );
  errors.add(name, label, task);
  const status = h('p', { role: 'status', id: 'upload-status' });
  const drop = h(
    'div',
    { class: 'drop', id: 'drop-zone', tabindex: 0, role: 'button', 'aria-describedby': 'drop-help' },
    h('strong', {}, 'Drop a CSV or JSON file here'),
    h('span', { id: 'drop-help' }, ' or press Enter to choose one'),
  );
  const tbody = h('tbody');
  main.append(
    h('h1', {}, 'Datasets'),
    h(
      'form',
      { class: 'card', onsubmit: (ev: SubmitEvent) => ev.preventDefault() },
      h('h2', {}, 'Upload'),
      h('div', { class: 'field-pair' }, name.row, label.row, task.row),
      drop,
      h('div', { class: 'field' }, h('label', { for: 'ds-file' }, 'Or choose a file'), file),
      status,
      general,
    ),
    h('h2', {}, 'Uploaded'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'datasets' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Rows', 'Features', 'Labels', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        tbody,
      ),
    ),
  );

  const load = async () => {
    const { datasets } = await api<Answer<'/v1/datasets', 'get'>>('/v1/datasets');
    replace(
      tbody,
      datasets.length
        ? datasets.map((d) =>
            h(
              'tr',
              { 'data-dataset': d.id },
              h('td', {}, d.name ?? d.id.slice(0, 8)),
              h('td', { class: 'num' }, d.rows.toLocaleString()),
              h('td', {}, `[${d.featureShape.join(', ')}]`),
              h(
                'td',
                {},
                d.labelKind === 'classes' && d.classes
                  ? `${d.classes.length} classes: ${d.classes.slice(0, 6).join(', ')}${d.classes.length > 6 ? ', …' : ''}`
                  : d.labelKind,
              ),
              h('td', {}, when(d.createdAt)),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'secondary',
                    'aria-label': `delete ${d.name ?? d.id}`,
                    onclick: () => {
                      request(`/v1/datasets/${d.id}`, { method: 'DELETE' })
                        .then(load)
                        .catch((e: Error) => replace(general, e.message));
                    },
                  },
                  'Delete',
                ),
              ),
            ),
          )
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No uploaded datasets.')),
    );
  };

  const upload = async (f: File) => {
    errors.clear();
    replace(status, `Uploading ${f.name}…`);
    const q = new URLSearchParams();
    const nm = name.control.value.trim() || f.name.replace(/\.(csv|json)$/i, '');
    q.set('name', nm);
    if (label.control.value.trim()) q.set('label', label.control.value.trim());
    if (task.control.value) q.set('task', task.control.value);
    const isJson = /\.json$/i.test(f.name) || f.type === 'application/json';
    try {
      const d = await api<Answer<'/v1/datasets', 'post'>>(`/v1/datasets?${q}`, {
        method: 'POST',
        body: f,
        headers: { 'content-type': isJson ? 'application/json' : 'text/csv' },
      });
      replace(status, `Uploaded ${d.name ?? d.id}: ${d.rows} rows.`);
      await load();
    } catch (e) {
      replace(status);
      errors.show(e instanceof ApiError ? e.field : undefined, `${f.name}: ${(e as Error).message}`);
    }
  };

  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const f = ev.dataTransfer?.files[0];
    if (f) void upload(f);
  });
  drop.addEventListener('click', () => file.click());
  drop.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      file.click();
    }
  });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void upload(f);
    file.value = '';
  });
  load().catch((e: Error) => replace(general, e.message));
  return () => {};
}
