/**
 * The compiled step's native addon (addon/trainer_graph.cc), as built by `npm run native` into
 * `.native/trainer_graph.node`: TensorFlow's graph C API, reached from TypeScript. Loaded on
 * first use only, so machines without it never touch it.
 */
import { createRequire } from 'node:module';
import { compiledStepAddon } from '../native-build.ts';

/** An output of an operation: [operation name, output index]. */
export type Ref = readonly [string, number];

/** TensorFlow's TF_DataType codes for the dtypes we use. */
export const DT = { float32: 1, int32: 3, int64: 9, bool: 10 } as const;
export type DType = (typeof DT)[keyof typeof DT];

export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export type Attr =
  | readonly [string, 'int' | 'float' | 'type', number]
  | readonly [string, 'bool', boolean]
  | readonly [string, 'shape' | 'ints', readonly number[]]
  | readonly [string, 'string', string]
  | readonly [string, 'tensor', HostTensor];

declare const graphBrand: unique symbol;
declare const sessionBrand: unique symbol;
export type GraphHandle = { readonly [graphBrand]: true };
export type SessionHandle = { readonly [sessionBrand]: true };

export interface GraphAddon {
  version(): string;
  newGraph(): GraphHandle;
  /** Adds an operation; answers its number of outputs. An input is a Ref, or a list of Refs. */
  addOp(
    graph: GraphHandle,
    type: string,
    name: string,
    inputs: ReadonlyArray<Ref | readonly Ref[]>,
    attrs: readonly Attr[],
    control: readonly string[],
  ): number;
  /** The static shape of an output (-1 where unknown), or null when even its rank is unknown. */
  outputShape(graph: GraphHandle, ref: Ref): number[] | null;
  /** d(Σ ys)/dx for each x, from TensorFlow's gradient registry (null where ys do not depend on x). */
  addGradients(graph: GraphHandle, prefix: string, ys: readonly Ref[], xs: readonly Ref[]): Array<Ref | null>;
  /** A session on the graph; `config` is a serialized tensorflow.ConfigProto. */
  newSession(graph: GraphHandle, config: Uint8Array): SessionHandle;
  run(
    session: SessionHandle,
    feeds: ReadonlyArray<readonly [Ref, HostTensor]>,
    fetches: readonly Ref[],
    targets: readonly string[],
  ): HostTensor[];
  /** The same run with a serialized tensorflow.RunOptions; answers the serialized RunMetadata too. */
  run(
    session: SessionHandle,
    feeds: ReadonlyArray<readonly [Ref, HostTensor]>,
    fetches: readonly Ref[],
    targets: readonly string[],
    runOptions: Uint8Array,
  ): { outputs: HostTensor[]; metadata: Uint8Array };
  closeSession(session: SessionHandle): void;
}

let loaded: GraphAddon | undefined;

/** The addon `npm run native` built (`.native/trainer_graph.node`), or undefined when there is none. */
export function graphAddon(): GraphAddon | undefined {
  if (loaded !== undefined) return loaded;
  const file = compiledStepAddon();
  if (file !== undefined) loaded = createRequire(import.meta.url)(file) as GraphAddon;
  return loaded;
}
