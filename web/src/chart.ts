/**
 * Line charts with uPlot (canvas; tens of thousands of points redraw in a few ms). Sized to its
 * container and redrawn at most once a frame however often data arrives.
 */
import uPlot from 'uplot';

export const COLORS = [
  '#1d4ed8',
  '#dc2626',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#db2777',
  '#0891b2',
  '#65a30d',
  '#475569',
  '#ea580c',
  '#4f46e5',
  '#be123c',
  '#0d9488',
  '#a16207',
  '#9333ea',
  '#15803d',
];

export interface Chart {
  /** Sets the data; the redraw happens on the next animation frame. */
  set(data: uPlot.AlignedData): void;
  destroy(): void;
}

export function lineChart(
  container: HTMLElement,
  opts: { series: uPlot.Series[]; axes?: uPlot.Axis[]; scales?: uPlot.Scales; height?: number; xLabel?: string },
): Chart {
  const width = () => Math.max(280, container.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: opts.height ?? 320,
      scales: opts.scales ?? { x: { time: false } },
      series: [{ label: opts.xLabel ?? 'step' }, ...opts.series],
      axes: opts.axes ?? [{ label: opts.xLabel ?? 'step' }, { label: 'loss' }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    },
    [[], ...opts.series.map(() => [])] as unknown as uPlot.AlignedData,
    container,
  );
  let pending: uPlot.AlignedData | null = null;
  let frame = 0;
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height ?? 320 }));
  resize.observe(container);
  return {
    set(data) {
      pending = data;
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (pending) plot.setData(pending);
        container.dataset.points = String(pending?.[0].length ?? 0);
        pending = null;
      });
    },
    destroy() {
      cancelAnimationFrame(frame);
      resize.disconnect();
      plot.destroy();
    },
  };
}

export { uPlot };
