/** The bench's one table: figures, targets, whether each was met and by how much it was missed. */
export interface TableRow {
  part: string;
  metric: string;
  value: string;
  target?: string;
  met?: string;
  note?: string;
}

const fmt = (n: number, digits: number) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export class Table {
  readonly rows: TableRow[] = [];

  row(row: TableRow): void {
    this.rows.push(row);
  }

  /** A figure with a target: met yes/no and, when missed, by how much (relative to the target). */
  target(opts: {
    part: string;
    metric: string;
    value: number;
    target: number;
    unit?: string;
    lowerIsBetter?: boolean;
    note?: string;
  }): void {
    const { value, target, unit = '', lowerIsBetter = false } = opts;
    const ratio = !unit; // a unitless figure is a ratio
    const digits = ratio ? 2 : value < 100 ? 1 : 0;
    const met = lowerIsBetter ? value <= target : value >= target;
    const missBy = lowerIsBetter ? (value - target) / target : (target - value) / target;
    this.rows.push({
      part: opts.part,
      metric: opts.metric,
      value: `${fmt(value, digits)}${unit}`,
      target: `${lowerIsBetter ? '≤' : '≥'} ${fmt(target, ratio ? 2 : 0)}${unit}`,
      met: met ? 'yes' : `NO, ${fmt(missBy * 100, 0)}% ${lowerIsBetter ? 'over' : 'short'}`,
      note: opts.note,
    });
  }

  render(): string {
    const head: TableRow = { part: 'part', metric: 'metric', value: 'value', target: 'target', met: 'met', note: 'notes' };
    const cols = ['part', 'metric', 'value', 'target', 'met'] as const;
    const all = [head, ...this.rows];
    const width = Object.fromEntries(cols.map((c) => [c, Math.max(...all.map((r) => (r[c] ?? '').length))]));
    const line = (r: TableRow) => `${cols.map((c) => (r[c] ?? '').padEnd(width[c])).join(' | ')} | ${r.note ?? ''}`;
    const rule = `${cols.map((c) => '-'.repeat(width[c])).join('-+-')}-+-${'-'.repeat(20)}`;
    let previous = '';
    const body = this.rows.map((r) => {
      const text = (previous && r.part !== previous ? rule + '\n' : '') + line(r);
      previous = r.part;
      return text;
    });
    return [line(head), rule, ...body].join('\n');
  }
}
