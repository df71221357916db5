/**
 * Exponential moving average with bias correction, as TensorBoard smooths scalars and fast.ai's
 * `lr_find` smooths its loss:
 *
 *     m_i = β m_{i-1} + (1 − β) x_i,   m_0 = 0,   smoothed_i = m_i / (1 − β^i)
 *
 * The correction keeps the first points from being pulled towards 0.
 */
export function debiasedEma(values: number[], beta: number): number[] {
  let m = 0;
  let weight = 1;
  return values.map((x) => {
    m = beta * m + (1 - beta) * x;
    weight *= beta;
    return m / (1 - weight);
  });
}

/**
 * The smoothing of a chart: β chosen from the number of points, so the window (about
 * 1 / (1 − β) points) is a fixed share of the chart whatever the run's length.
 */
export function smooth(values: number[], windowShare = 1 / 25): number[] {
  return debiasedEma(values, 1 - 1 / Math.max(1, values.length * windowShare));
}
