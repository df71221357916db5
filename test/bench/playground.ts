/**
 * Time of computeTrajectory (no HTTP, no IPC) for 10,000 steps, per backend and optimizer.
 * Usage: node --import tsx test/bench/playground.ts [cpu|wasm]
 * Measured (Node 20, this machine): adam ~0.22 s on cpu, ~0.45 s on wasm; sgd ~0.05 s / ~0.1 s.
 */
import { initBackend } from '../../src/engine/backend.ts';
import { parseTrajectoryRequest } from '../../src/playground/request.ts';
import { computeTrajectory } from '../../src/engine/trajectory.ts';

const backend = process.argv[2] === 'wasm' ? 'wasm' : 'cpu';
await initBackend(backend);
for (const optimizer of [
  { name: 'sgd', learningRate: 0.001 },
  { name: 'adam', learningRate: 0.01 },
  { name: 'adamw', learningRate: 0.01, clipNorm: 1 },
]) {
  const request = parseTrajectoryRequest({ function: 'rosenbrock', start: [-1.5, 2], steps: 10_000, optimizer });
  const times: string[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    computeTrajectory(request);
    times.push((performance.now() - started).toFixed(0));
  }
  console.log(`${backend} ${optimizer.name}: ${times.join(', ')} ms (first run cold)`);
}
