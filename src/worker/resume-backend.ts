/**
 * Whether a job's checkpoint may be resumed by this worker's backend. A resumed job ends bitwise
 * equal to an uninterrupted run only when every step runs the same arithmetic, and that holds per
 * backend: each backend is its own kind here, cpu and wasm included. Both are IEEE float32
 * without FMA in the fused kernels, but their matMul and reductions sum in different orders (wasm
 * in XNNPACK's SIMD tiles, cpu in a plain JS loop), so the same step gives different last bits;
 * tensorflow (oneDNN/Eigen, FMA, threads) and tensorflow-gpu (cuDNN) differ again. Continuing a
 * finished job (`initFrom`) is not a resume and may change backend: nothing promises it is exact.
 */

/** Why this worker must not resume the checkpoint, in a user's words; undefined when it may. */
export function resumeRefusal(checkpoint: { step: number; backend: string | null }, workerBackend: string): string | undefined {
  // Written before checkpoints recorded their backend: resumed anywhere, as it was then.
  if (checkpoint.backend === null || checkpoint.backend === workerBackend) return undefined;
  const written = checkpoint.backend;
  return (
    `cannot resume: this job's checkpoint (step ${checkpoint.step}) was written on the ${written} backend, but ` +
    `the worker that took it trains on ${workerBackend}, and a job continues exactly only on the backend that ` +
    `began it (their float32 sums differ in the last bits). Its metrics up to the checkpoint are kept. ` +
    `Run a worker with TFJS_BACKEND=${written} to resume jobs checkpointed there, or submit this job again ` +
    `to train it from the start on ${workerBackend}.`
  );
}
