// A small ONNX graph builder over the `onnx-proto` message classes.
// Pure TypeScript (no DOM, no Node APIs), so the test-model generator (Node) and the
// safetensors converter (browser worker and Node CLI) can share it.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const DType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  uint32: 12,
  bool: 9,
  float16: 10,
} as const;
export type DType = (typeof DType)[keyof typeof DType];

export type Dim = number | string;
export type AttrValue = number | bigint | string | readonly number[] | Float32Array | { readonly float: number } | ConstTensor;

export interface ConstTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Little-endian raw bytes, as ONNX `raw_data` stores them. */
  readonly raw: Uint8Array;
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export const tensor = {
  i64(values: readonly (number | bigint)[], dims: readonly number[] = [values.length]): ConstTensor {
    return { dtype: DType.int64, dims, raw: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))) };
  },
  i32(values: readonly number[] | Int32Array, dims: readonly number[] = [values.length]): ConstTensor {
    return { dtype: DType.int32, dims, raw: bytesOf(Int32Array.from(values)) };
  },
  f32(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): ConstTensor {
    return { dtype: DType.float32, dims, raw: bytesOf(Float32Array.from(values)) };
  },
  scalarI64(v: number | bigint): ConstTensor {
    return tensor.i64([v], []);
  },
  scalarF32(v: number): ConstTensor {
    return tensor.f32([v], []);
  },
  /** float16 from float16 bit patterns (see src/convert/half.ts for conversions). */
  f16Bits(bits: readonly number[] | Uint16Array, dims: readonly number[] = [bits.length]): ConstTensor {
    return { dtype: DType.float16, dims, raw: bytesOf(Uint16Array.from(bits)) };
  },
};

function tensorProto(name: string, t: ConstTensor): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({ name, dataType: t.dtype, dims: [...t.dims], rawData: t.raw });
}

function valueInfo(name: string, dtype: DType, dims: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: dtype,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

const AT = onnx.AttributeProto.AttributeType;

function attribute(name: string, v: AttrValue) {
  if (typeof v === 'number' || typeof v === 'bigint') {
    return onnx.AttributeProto.create({ name, type: AT.INT, i: Number(v) });
  }
  if (typeof v === 'string') {
    return onnx.AttributeProto.create({ name, type: AT.STRING, s: new TextEncoder().encode(v) });
  }
  if (v instanceof Float32Array) {
    return onnx.AttributeProto.create({ name, type: AT.FLOATS, floats: [...v] });
  }
  if (Array.isArray(v)) {
    return onnx.AttributeProto.create({ name, type: AT.INTS, ints: [...(v as readonly number[])] });
  }
  if ('float' in v) {
    return onnx.AttributeProto.create({ name, type: AT.FLOAT, f: v.float });
  }
  return onnx.AttributeProto.create({ name, type: AT.TENSOR, t: tensorProto(name, v as ConstTensor) });
}

export interface OpOptions {
  readonly domain?: string;
  readonly outputs?: number;
  readonly name?: string;
}

/**
 * Builds one ONNX graph. Values are referred to by name; `op()` invents unique output
 * names so graph code reads like expressions.
 */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly domains = new Map<string, number>();
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  constructor(private readonly graphName: string) {}

  input(name: string, dtype: DType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  output(name: string, dtype: DType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** An initializer; identical small constants are shared. */
  constant(t: ConstTensor, name?: string): string {
    const key = name ? '' : `${t.dtype}|${t.dims.join(',')}|${t.raw.byteLength <= 64 ? [...t.raw].join(',') : ''}`;
    if (!name && t.raw.byteLength <= 64) {
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const n = name ?? `const_${this.counter++}`;
    this.initializers.push(tensorProto(n, t));
    if (!name && t.raw.byteLength <= 64) this.constCache.set(key, n);
    return n;
  }

  /**
   * An initializer whose bytes live in an external data file (ONNX external data:
   * `location` is relative to the .onnx file; `offset`/`length` in bytes).
   */
  externalInitializer(name: string, dtype: DType, dims: readonly number[], location: string, offset: number, length: number): string {
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dataType: dtype,
        dims: [...dims],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          onnx.StringStringEntryProto.create({ key: 'location', value: location }),
          onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
          onnx.StringStringEntryProto.create({ key: 'length', value: String(length) }),
        ],
      }),
    );
    return name;
  }

  i64(...values: number[]): string {
    return this.constant(tensor.i64(values));
  }
  scalarI64(v: number | bigint): string {
    return this.constant(tensor.scalarI64(v));
  }
  scalarF32(v: number): string {
    return this.constant(tensor.scalarF32(v));
  }

  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, opts: OpOptions = {}): string {
    return this.opN(opType, inputs, attrs, { ...opts, outputs: 1 })[0]!;
  }

  opN(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, opts: OpOptions = {}): string[] {
    const id = this.counter++;
    const count = opts.outputs ?? 1;
    const outs = Array.from({ length: count }, (_, i) => `${opType.toLowerCase()}_${id}${count > 1 ? `_${i}` : ''}`);
    this.nodeWithOutputs(opType, inputs, outs, attrs, opts);
    return outs;
  }

  /** A node whose outputs have fixed names (graph outputs). */
  nodeWithOutputs(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: OpOptions = {},
  ): void {
    const domain = opts.domain ?? '';
    if (domain) this.domains.set(domain, 1);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        name: opts.name ?? `${opType}_${this.counter++}`,
        input: [...inputs],
        output: [...outputs],
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
  }

  /** Serialises the model. `opset` is the default-domain opset version. */
  toBytes(opset: number, producer = 'elastic-reasoning-web'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      opsetImport: [
        onnx.OperatorSetIdProto.create({ domain: '', version: opset }),
        ...[...this.domains.keys()].map((d) => onnx.OperatorSetIdProto.create({ domain: d, version: 1 })),
      ],
      graph: onnx.GraphProto.create({
        name: this.graphName,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
