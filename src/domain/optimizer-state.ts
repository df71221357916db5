/**
 * The optimizer state between memory, storage and the API, without TensorFlow.js (the API
 * uses it): storage keeps the JSON without values plus every slot's float32 values in one byte
 * array; the API shows the documented JSON with the values as numbers.
 */
import { float32FromBytes } from '../bytes.ts';
import type { OptimizerSpec } from './optimizer.ts';

/** The documented format, in memory: the slots' values as float32 arrays (see the README). */
export const OPTIMIZER_STATE_FORMAT = 'tfjs-trainer/optimizer-state@1';

export interface SlotState {
  /** The layer weight this slot belongs to, as named in model.json. */
  weight: string;
  /** The slot's name in the optimizer (momentum, velocity, accumulator, …). */
  slot: string;
  shape: number[];
  dtype: 'float32';
  values: Float32Array;
}

export interface OptimizerStateData {
  format: typeof OPTIMIZER_STATE_FORMAT;
  optimizer: { name: string; config: OptimizerSpec };
  /** Updates applied so far; the learning-rate schedule continues from here. */
  iterations: number;
  slots: SlotState[];
}

type SlotHeader = Omit<OptimizerStateData['slots'][number], 'values'>;
type Header = Omit<OptimizerStateData, 'slots'> & { slots: SlotHeader[] };

/** The state as stored: the JSON header, and the slots' values concatenated (float32 little-endian). */
export function encodeOptimizerState(state: OptimizerStateData): { header: Header; slotData: Uint8Array<ArrayBuffer> } {
  const total = state.slots.reduce((n, s) => n + s.values.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const s of state.slots) {
    all.set(s.values, offset);
    offset += s.values.length;
  }
  const header = { ...state, slots: state.slots.map(({ values: _values, ...slot }) => slot) };
  return { header, slotData: new Uint8Array(all.buffer) };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Back from storage; `slotData` null means values stored inside the JSON (states written before the byte column). */
export function decodeOptimizerState(header: unknown, slotData: Uint8Array | null): OptimizerStateData {
  const h = header as Omit<Header, 'slots'> & { slots: Array<SlotHeader & { values?: number[] }> };
  if (slotData === null) {
    return { ...h, slots: h.slots.map((s) => ({ ...s, values: Float32Array.from(s.values ?? []) })) };
  }
  const all = float32FromBytes(slotData);
  const needed = h.slots.reduce((n, s) => n + size(s.shape), 0);
  if (needed !== all.length) throw new Error(`stored optimizer state has ${all.length} values, its slots need ${needed}`);
  let offset = 0;
  const slots = h.slots.map((s) => {
    const values = all.subarray(offset, offset + size(s.shape));
    offset += values.length;
    return { ...s, values };
  });
  return { ...h, slots };
}

/**
 * The documented JSON of the API, values as numbers, written straight to text. Every float32
 * reads back exactly, except that JSON has no -0: a negative zero shows as 0.
 */
export function optimizerStateJson(state: OptimizerStateData): string {
  // Fields in the documented order: the stored header comes back from jsonb with its keys reordered.
  const { format, optimizer, iterations } = state;
  const slots = state.slots.map(({ weight, slot, shape, dtype, values }) => ({ weight, slot, shape, dtype, values: Array.from(values) }));
  return JSON.stringify({ format, optimizer, iterations, slots });
}
