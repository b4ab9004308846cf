// safetensors reader over ranged reads: header parsing, sharded checkpoints
// (model.safetensors.index.json), and tensor / row-range reads converted to float32.
// Format: 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} },
// then the data; offsets are relative to the start of the data (8 + N).
import { decodeToF32, f32ToBf16Bits, f32ToF16Bits } from './half.ts';
import { MissingFileError, readJson, type FileSource } from './io.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const ELEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Header JSON larger than this is rejected (real headers are well under 1 MiB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface TensorInfo {
  readonly name: string;
  /** The file holding the tensor. */
  readonly file: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in `file`. */
  readonly offset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  readonly fileSize: number;
  readonly dataStart: number;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

const prod = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Parses one safetensors file's header and validates every entry against the file size. */
export async function readSafetensorsHeader(src: FileSource, file: string): Promise<SafetensorsHeader> {
  const fileSize = await src.size(file);
  if (fileSize === null) throw new MissingFileError(`missing safetensors file: ${file}`);
  if (fileSize < 8) throw new SafetensorsError(`${file}: truncated (${fileSize} bytes; no header length)`);
  const lenBytes = await src.read(file, 0, 8);
  const lenBig = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (lenBig > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`${file}: header length ${lenBig} is implausible (corrupt file?)`);
  const headerLen = Number(lenBig);
  if (8 + headerLen > fileSize) {
    throw new SafetensorsError(`${file}: truncated (header says ${headerLen} bytes of JSON, file has ${fileSize - 8})`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(await src.read(file, 8, headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(`${file}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      throw new SafetensorsError(`${file}: tensor ${name}: malformed header entry`);
    }
    if (!(e.dtype in ELEM_SIZE)) {
      throw new SafetensorsError(`${file}: tensor ${name}: unsupported dtype ${e.dtype} (supported: F32, BF16, F16)`);
    }
    const dtype = e.dtype as SafetensorsDtype;
    const shape = e.shape.map(Number);
    const [begin, end] = (e.data_offsets as unknown[]).map(Number) as [number, number];
    const byteLength = prod(shape) * ELEM_SIZE[dtype];
    if (!(end - begin === byteLength && begin >= 0)) {
      throw new SafetensorsError(`${file}: tensor ${name}: data_offsets [${begin}, ${end}] do not match ${dtype}[${shape.join(',')}]`);
    }
    if (dataStart + end > fileSize) {
      throw new SafetensorsError(
        `${file}: truncated: tensor ${name} needs bytes up to ${dataStart + end}, file has ${fileSize}`,
      );
    }
    tensors.set(name, { name, file, dtype, shape, offset: dataStart + begin, byteLength });
  }
  return { file, fileSize, dataStart, tensors, metadata };
}

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

/** A checkpoint: one safetensors file or shards listed by model.safetensors.index.json. */
export class Checkpoint {
  private constructor(
    private readonly src: FileSource,
    readonly files: readonly string[],
    readonly tensors: ReadonlyMap<string, TensorInfo>,
  ) {}

  /** Opens `model.safetensors.index.json` if present, else `model.safetensors`. */
  static async open(src: FileSource, prefix = ''): Promise<Checkpoint> {
    if ((await src.size(prefix + INDEX_FILE)) !== null) {
      const index = await readJson<{ weight_map?: Record<string, string> }>(src, prefix + INDEX_FILE);
      const weightMap = index.weight_map;
      if (!weightMap || typeof weightMap !== 'object') throw new SafetensorsError(`${INDEX_FILE}: no weight_map`);
      const shards = [...new Set(Object.values(weightMap))];
      for (const shard of shards) {
        if ((await src.size(prefix + shard)) === null) {
          const example = Object.entries(weightMap).find(([, f]) => f === shard)?.[0];
          throw new MissingFileError(`missing shard ${shard} (listed in ${INDEX_FILE}, e.g. for tensor ${example})`);
        }
      }
      const tensors = new Map<string, TensorInfo>();
      for (const shard of shards) {
        const h = await readSafetensorsHeader(src, prefix + shard);
        for (const [n, t] of h.tensors) tensors.set(n, t);
      }
      for (const [n, shard] of Object.entries(weightMap)) {
        const t = tensors.get(n);
        if (!t) throw new SafetensorsError(`${INDEX_FILE} lists tensor ${n} in ${shard}, but ${shard} does not contain it`);
        if (t.file !== prefix + shard) throw new SafetensorsError(`tensor ${n}: index says ${shard}, found in ${t.file}`);
      }
      return new Checkpoint(src, shards.map((s) => prefix + s), tensors);
    }
    if ((await src.size(prefix + SINGLE_FILE)) === null) {
      throw new MissingFileError(`no ${SINGLE_FILE} or ${INDEX_FILE} in the input`);
    }
    const h = await readSafetensorsHeader(src, prefix + SINGLE_FILE);
    return new Checkpoint(src, [prefix + SINGLE_FILE], h.tensors);
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(`checkpoint has no tensor ${name}`);
    return t;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Raw bytes of rows [row0, row0 + rows) along dim 0 (a 1-D tensor counts as one row). */
  async readRowsRaw(name: string, row0: number, rows: number): Promise<Uint8Array> {
    const t = this.info(name);
    const nRows = t.shape.length === 0 ? 1 : t.shape.length === 1 ? 1 : t.shape[0]!;
    if (row0 < 0 || rows < 0 || row0 + rows > nRows) throw new RangeError(`${name}: rows [${row0}, ${row0 + rows}) out of [0, ${nRows})`);
    const rowBytes = t.byteLength / nRows;
    try {
      return await this.src.read(t.file, t.offset + row0 * rowBytes, rows * rowBytes);
    } catch (e) {
      throw new SafetensorsError(`${t.file}: tensor ${name}: read failed (${(e as Error).message})`);
    }
  }

  /** Rows [row0, row0 + rows) as float32. */
  async readRows(name: string, row0: number, rows: number): Promise<Float32Array> {
    return decodeToF32(await this.readRowsRaw(name, row0, rows), this.info(name).dtype);
  }

  /** The whole tensor as float32 (use readRows for large tensors). */
  async read(name: string): Promise<Float32Array> {
    const t = this.info(name);
    return this.readRows(name, 0, t.shape.length <= 1 ? 1 : t.shape[0]!);
  }
}

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** float32 values; stored as `dtype` (rounded to nearest even for F16/BF16). */
  readonly data: Float32Array;
}

/** A tensor's place in a file being written: name, dtype and shape, no data. */
export type TensorLayout = Pick<TensorToWrite, 'name' | 'dtype' | 'shape'>;

/**
 * The file's first bytes (length prefix + JSON header, padded to 8) for tensors stored in this
 * order, and the data size after it; streamed writers (tools/standin) follow it with the data.
 */
export function safetensorsPrefix(tensors: readonly TensorLayout[], metadata: Record<string, string> = { format: 'pt' }): { prefix: Uint8Array; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const len = t.shape.reduce((a, b) => a * b, 1) * ELEM_SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const prefix = new Uint8Array(8 + padded).fill(0x20);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded), true);
  prefix.set(json, 8);
  return { prefix, dataBytes: offset };
}

/** Encodes tensors as one safetensors file (tests generate checkpoints with this). */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`${t.name}: shape ${t.shape.join('x')} does not match ${t.data.length} values`);
  }
  const { prefix, dataBytes } = safetensorsPrefix(tensors, metadata);
  const out = new Uint8Array(prefix.byteLength + dataBytes);
  const view = new DataView(out.buffer);
  out.set(prefix);
  let o = prefix.byteLength;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i]!;
      if (t.dtype === 'F32') {
        view.setFloat32(o, v, true);
        o += 4;
      } else {
        view.setUint16(o, t.dtype === 'F16' ? f32ToF16Bits(v) : f32ToBf16Bits(v), true);
        o += 2;
      }
    }
  }
  return out;
}
