/**
 * Where a compiled step's time goes: one step run with TensorFlow's full trace, its step stats
 * (tensorflow/core/framework/step_stats.proto) read into per-op timings. For `npm run bench`'s
 * profile and for anyone tuning a model; never on the training path.
 *
 *   RunMetadata { step_stats = 1 }   StepStats { dev_stats = 1 }
 *   DeviceStepStats { device = 1, node_stats = 2 }
 *   NodeExecStats { node_name = 1, all_start_micros = 2, op_start_rel_micros = 3,
 *                   op_end_rel_micros = 4, all_end_rel_micros = 5, timeline_label = 8 }
 */

/** RunOptions { trace_level = 1: FULL_TRACE (3) }. */
export const FULL_TRACE = Uint8Array.of(0x08, 0x03);

export interface OpTiming {
  node: string;
  /** "Type" of the node's kernel as the trace labels it (first word of timeline_label), if any. */
  label: string;
  startMicros: number;
  micros: number;
}

/** The protobuf fields of `bytes`: [field number, wire type, value (number or bytes)]. */
function* fields(bytes: Uint8Array): Generator<[number, number, number | Uint8Array]> {
  let at = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    if (wire === 0) yield [field, wire, varint()];
    else if (wire === 2) {
      const length = varint();
      yield [field, wire, bytes.subarray(at, at + length)];
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
}

const text = (v: number | Uint8Array) => (typeof v === 'number' ? '' : new TextDecoder().decode(v));

/** Every node's timing in a serialized RunMetadata, across devices. */
export function opTimings(runMetadata: Uint8Array): OpTiming[] {
  const out: OpTiming[] = [];
  for (const [f1, , stepStats] of fields(runMetadata)) {
    if (f1 !== 1 || typeof stepStats === 'number') continue;
    for (const [f2, , device] of fields(stepStats)) {
      if (f2 !== 1 || typeof device === 'number') continue;
      for (const [f3, , node] of fields(device)) {
        if (f3 !== 2 || typeof node === 'number') continue;
        const timing: OpTiming = { node: '', label: '', startMicros: 0, micros: 0 };
        for (const [f, , v] of fields(node)) {
          if (f === 1) timing.node = text(v);
          else if (f === 2) timing.startMicros = v as number;
          else if (f === 5) timing.micros = v as number;
          else if (f === 8) timing.label = text(v).split(' ')[0];
        }
        out.push(timing);
      }
    }
  }
  return out;
}
