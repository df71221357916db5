/**
 * Form fields with a place for the API's validation message beside each. A field answers for
 * an API path (`optimizer`, `training.epochs`); an error `details.field` goes to the field whose
 * path is its longest prefix, so `optimizer.beta1` lands beside the optimizer's options.
 */
import { h, replace } from './dom.ts';

let counter = 0;

export interface Field {
  path: string;
  row: HTMLElement;
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  error: HTMLElement;
}

export function field(path: string, label: string, control: Field['control'], hint?: string): Field {
  const id = `f${++counter}`;
  control.id = id;
  const error = h('p', { class: 'field-error', id: `${id}-err`, role: 'alert' });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-err`].join(' ').trim());
  const row = h('div', { class: 'field', 'data-field': path }, h('label', { for: id }, label), control, hintEl, error);
  return { path, row, control, error };
}

export class FieldErrors {
  private readonly fields: Field[] = [];
  constructor(private readonly general: HTMLElement) {}

  add(...fields: Field[]): void {
    this.fields.push(...fields);
  }

  clear(): void {
    for (const f of this.fields) {
      replace(f.error);
      f.control.removeAttribute('aria-invalid');
    }
    replace(this.general);
  }

  /** Shows `message` beside the field for `path`, or above the form when none matches. */
  show(path: string | undefined, message: string): void {
    const f = path ? this.match(path) : undefined;
    if (!f) {
      replace(this.general, message);
      return;
    }
    replace(f.error, message);
    f.control.setAttribute('aria-invalid', 'true');
    f.control.focus();
  }

  private match(path: string): Field | undefined {
    let best: Field | undefined;
    for (const f of this.fields) {
      if (f.control.closest('[hidden]')) continue;
      const hit = path === f.path || path.startsWith(`${f.path}.`) || path.startsWith(`${f.path}[`);
      if (hit && (!best || f.path.length > best.path.length)) best = f;
    }
    return best;
  }
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

export function select(options: [string, string][], value?: string): HTMLSelectElement {
  const s = h(
    'select',
    {},
    options.map(([v, label]) => h('option', { value: v }, label)),
  );
  if (value !== undefined) s.value = value;
  return s;
}

export function input(type: string, value: string | number = '', attrs: Record<string, string | number> = {}): HTMLInputElement {
  const i = h('input', { type, ...attrs });
  i.value = String(value);
  return i;
}

export function textarea(value: string, rows = 4): HTMLTextAreaElement {
  const t = h('textarea', { rows, spellcheck: 'false' });
  t.value = value;
  return t;
}
