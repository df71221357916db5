/**
 * A TensorFlow graph built from TypeScript, one raw TensorFlow op per call, with the names and
 * attributes TensorFlow's op registry expects (tensorflow/core/ops/*.cc). Type attributes ("T")
 * are inferred by TensorFlow from the inputs. Operation names are unique per graph.
 */
import { DT, type Attr, type GraphAddon, type GraphHandle, type Ref } from './addon.ts';

export class Graph {
  readonly handle: GraphHandle;
  private count = 0;

  constructor(readonly addon: GraphAddon) {
    this.handle = addon.newGraph();
  }

  /** Adds `type` and answers its outputs. `name` must be unique when given (feeds and targets are found by it). */
  op(
    type: string,
    inputs: ReadonlyArray<Ref | readonly Ref[]>,
    attrs: readonly Attr[] = [],
    opts: { name?: string; control?: string[] } = {},
  ): Ref[] {
    const name = opts.name ?? `${type}_${this.count++}`;
    const outputs = this.addon.addOp(this.handle, type, name, inputs, attrs, opts.control ?? []);
    return Array.from({ length: outputs }, (_, i) => [name, i] as const);
  }

  /** The op's first output: most ops have one. */
  op1(
    type: string,
    inputs: ReadonlyArray<Ref | readonly Ref[]>,
    attrs: readonly Attr[] = [],
    opts: { name?: string; control?: string[] } = {},
  ): Ref {
    return this.op(type, inputs, attrs, opts)[0];
  }

  shape(ref: Ref): number[] | null {
    return this.addon.outputShape(this.handle, ref);
  }

  // ---- values ----------------------------------------------------------------------------

  placeholder(name: string, shape: readonly number[], dtype: number = DT.float32): Ref {
    return this.op1(
      'Placeholder',
      [],
      [
        ['dtype', 'type', dtype],
        ['shape', 'shape', shape],
      ],
      { name },
    );
  }

  /** A float32 scalar constant (rounded to float32, as a tfjs scalar of a JS number is). */
  scalar(value: number): Ref {
    return this.op1(
      'Const',
      [],
      [
        ['dtype', 'type', DT.float32],
        ['value', 'tensor', { dtype: DT.float32, shape: [], data: Float32Array.of(value) }],
      ],
    );
  }

  /** An int32 scalar constant (an axis, a depth). */
  int(value: number): Ref {
    return this.op1(
      'Const',
      [],
      [
        ['dtype', 'type', DT.int32],
        ['value', 'tensor', { dtype: DT.int32, shape: [], data: Int32Array.of(value) }],
      ],
    );
  }

  ints(values: readonly number[]): Ref {
    return this.op1(
      'Const',
      [],
      [
        ['dtype', 'type', DT.int32],
        ['value', 'tensor', { dtype: DT.int32, shape: [values.length], data: Int32Array.from(values) }],
      ],
    );
  }

  /** A resource variable (VarHandleOp) named `name`, float32 of `shape`. */
  variable(name: string, shape: readonly number[]): Ref {
    return this.op1(
      'VarHandleOp',
      [],
      [
        ['dtype', 'type', DT.float32],
        ['shape', 'shape', shape],
        ['shared_name', 'string', name],
      ],
      { name },
    );
  }

  read(variable: Ref, opts: { name?: string; control?: string[] } = {}): Ref {
    return this.op1('ReadVariableOp', [variable], [['dtype', 'type', DT.float32]], opts);
  }

  /** Assigns `value` to `variable`; answers the assign op's name (a target to run). */
  assign(variable: Ref, value: Ref, name = `AssignVariableOp_${this.count++}`): string {
    this.op('AssignVariableOp', [variable, value], [['dtype', 'type', DT.float32]], { name });
    return name;
  }

  /** An op that runs after all `ops` (a target that stands for them). */
  group(name: string, ops: string[]): string {
    this.addon.addOp(this.handle, 'NoOp', name, [], [], ops);
    return name;
  }

  // ---- arithmetic (float32, elementwise with broadcasting) --------------------------------

  add = (a: Ref, b: Ref) => this.op1('AddV2', [a, b]);
  sub = (a: Ref, b: Ref) => this.op1('Sub', [a, b]);
  mul = (a: Ref, b: Ref) => this.op1('Mul', [a, b]);
  div = (a: Ref, b: Ref) => this.op1('RealDiv', [a, b]);
  maximum = (a: Ref, b: Ref) => this.op1('Maximum', [a, b]);
  minimum = (a: Ref, b: Ref) => this.op1('Minimum', [a, b]);
  neg = (a: Ref) => this.op1('Neg', [a]);
  abs = (a: Ref) => this.op1('Abs', [a]);
  sign = (a: Ref) => this.op1('Sign', [a]);
  sqrt = (a: Ref) => this.op1('Sqrt', [a]);
  square = (a: Ref) => this.op1('Square', [a]);
  exp = (a: Ref) => this.op1('Exp', [a]);
  log = (a: Ref) => this.op1('Log', [a]);
  log1p = (a: Ref) => this.op1('Log1p', [a]);
  sigmoid = (a: Ref) => this.op1('Sigmoid', [a]);
  tanh = (a: Ref) => this.op1('Tanh', [a]);
  cast = (a: Ref, dtype: number) => this.op1('Cast', [a], [['DstT', 'type', dtype]]);

  /** Σ over `axes` (keepDims as tfjs' sum(x, axis, keepDims)). */
  sum(a: Ref, axes: readonly number[], keepDims = false): Ref {
    return this.op1('Sum', [a, this.ints(axes)], [['keep_dims', 'bool', keepDims]]);
  }

  mean(a: Ref, axes: readonly number[], keepDims = false): Ref {
    return this.op1('Mean', [a, this.ints(axes)], [['keep_dims', 'bool', keepDims]]);
  }

  reshape(a: Ref, shape: readonly number[]): Ref {
    return this.op1('Reshape', [a, this.ints(shape)]);
  }

  /** The k scalars of a [k] vector. */
  unstack(vector: Ref, k: number): Ref[] {
    return k === 0
      ? []
      : this.op(
          'Unpack',
          [vector],
          [
            ['num', 'int', k],
            ['axis', 'int', 0],
          ],
        );
  }
}
