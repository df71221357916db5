/**
 * The progress line of `submit --follow`: a bar, epoch, step, loss and samples/s. On a
 * terminal it is redrawn in place (at most 10 times a second); otherwise one line per epoch,
 * so logs and CI output stay readable.
 */
import type { Progress } from '../domain/records.ts';

const WIDTH = 24;

export function progressLine(p: Progress): string {
  const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const filled = Math.round(fraction * WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  const loss = p.loss === null ? '–' : p.loss.toPrecision(4);
  const rate = Math.round(p.samplesPerSecond).toLocaleString('en-US');
  return (
    `${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  epoch ${p.epoch}/${p.epochs}  step ` +
    `${p.step}/${p.totalSteps}  loss ${loss}  ${rate} samples/s`
  );
}

export class ProgressBar {
  private lastDraw = 0;
  private lastEpochLogged = 0;
  private drawn = false;
  private lastLine = '';

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  update(p: Progress, force = false): void {
    if (this.tty) {
      const now = Date.now();
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[2K${progressLine(p)}`);
      this.drawn = true;
    } else if (p.epoch > this.lastEpochLogged || force) {
      this.lastEpochLogged = p.epoch;
      const line = progressLine(p);
      if (line !== this.lastLine) this.out.write(`${line}\n`);
      this.lastLine = line;
    }
  }

  /** Leaves the bar on its line, so what follows starts on a new one. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
  }
}
