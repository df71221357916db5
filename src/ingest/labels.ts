/**
 * Labels as they arrive, one row at a time, and what they turn out to be once all are in:
 * class labels (strings, or a few distinct integers) or regression targets (numbers).
 * Each row keeps its numeric value (NaN when the label is not a number) and its code (the
 * order in which its label was first seen), so the decision can wait until the end.
 */
import { invalid } from '../errors.ts';
import { MAX_LABEL_CHARS, checkFloat32, checkText, isFiniteFloat32 } from './values.ts';

/** More distinct labels than this cannot be classes. */
export const MAX_CLASSES = 1000;
/** auto: integer labels with at most this many distinct values are classes, else regression. */
const AUTO_MAX_INTEGER_CLASSES = 100;

export type Task = 'auto' | 'classification' | 'regression';

export interface ClassEntry {
  name: string;
  /** The code rows with this label carry in the stored chunks. */
  code: number;
}

export type LabelOutcome = { kind: 'classes'; classes: ClassEntry[] } | { kind: 'regression' };

export class LabelCollector {
  private readonly codes = new Map<string, number>();
  private overflow = false;
  private allNumeric = true;
  private allIntegers = true;
  /** The first numeric label that float32 cannot hold: refused if the labels are regression targets. */
  private outOfRange?: { label: string; row: number };

  /** `describe(row)` names a row's label for messages: `line 17, column "species"`, `y[3]`. */
  constructor(private readonly describe: (row: number) => string) {}

  /** Records the label of `row`; answers its numeric value (NaN if none) and its code (-1 past MAX_CLASSES). */
  add(label: string, row: number): { value: number; code: number } {
    const value = NUMBER.test(label) ? Number(label) : Number.NaN;
    if (Number.isNaN(value)) this.allNumeric = false;
    else if (!Number.isInteger(value)) this.allIntegers = false;
    if (!this.outOfRange && !Number.isNaN(value) && !isFiniteFloat32(value)) this.outOfRange = { label, row };
    let code = this.codes.get(label);
    if (code === undefined) {
      checkText(label, this.describe(row));
      if (label.length > MAX_LABEL_CHARS) invalid(this.describe(row), `is longer than ${MAX_LABEL_CHARS} characters: too long for a label`);
      if (this.codes.size < MAX_CLASSES) {
        code = this.codes.size;
        this.codes.set(label, code);
      } else {
        this.overflow = true;
        code = -1;
      }
    }
    return { value, code };
  }

  /** What the labels are, checked: at least two classes, not too many. `field` names the label column. */
  finish(task: Task, field: string): LabelOutcome {
    const regression =
      task === 'regression' ||
      (task === 'auto' && this.allNumeric && (!this.allIntegers || this.overflow || this.codes.size > AUTO_MAX_INTEGER_CLASSES));
    if (regression) {
      if (!this.allNumeric) invalid(field, 'has labels that are not numbers, so it cannot be a regression target');
      if (this.outOfRange) checkFloat32(Number.POSITIVE_INFINITY, this.outOfRange.label, this.describe(this.outOfRange.row));
      return { kind: 'regression' };
    }
    if (this.overflow) invalid(field, `has more than ${MAX_CLASSES} distinct labels: too many classes (for numbers, use task=regression)`);
    if (this.codes.size < 2) invalid(field, `has one class only (${[...this.codes.keys()][0] ?? 'none'}): a classifier needs at least two`);
    const entries = [...this.codes].map(([name, code]) => ({ name, code }));
    // Classes in a stable order: numerically for numbers, else alphabetically.
    entries.sort(this.allNumeric ? (a, b) => Number(a.name) - Number(b.name) : (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { kind: 'classes', classes: entries };
  }
}

/** A decimal number as CSV and JSON write them (no hex, no Infinity, no empty string). */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
