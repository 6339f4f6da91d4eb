/**
 * A minimal protobuf wire-format writer for the subset of `onnx.proto` that the
 * importers emit. Field numbers are those of onnx.proto (proto2); repeated scalars
 * are written unpacked, which every protobuf parser accepts.
 *
 * Encoded messages are kept as lists of byte chunks so that large initializers are
 * never copied while being wrapped into their parent messages.
 */

/** ONNX `TensorProto.DataType` values used by rbee. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;

/** One ONNX element type code, such as `DataType.FLOAT`. */
export type DataTypeCode = typeof DataType[keyof typeof DataType];

/** A tensor whose data is stored little-endian in `rawData`. */
export interface TensorProto {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  rawData: Uint8Array;
}

/** A dimension: a fixed size, or a symbolic name such as `"batch_size"`. */
export type Dim = number | string;

/** A graph input or output: a named tensor type with its shape. */
export interface ValueInfoProto {
  name: string;
  elemType: DataTypeCode;
  shape: Dim[];
}

/** A node attribute; integers are INT/INTS, floats are FLOAT. */
export type AttributeProto =
  & { name: string }
  & (
    | { kind: "int"; value: number }
    | { kind: "ints"; value: number[] }
    | { kind: "float"; value: number }
    | { kind: "string"; value: string }
    | { kind: "tensor"; value: TensorProto }
  );

/** One operator application. */
export interface NodeProto {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
  domain?: string;
}

/** A computation graph. */
export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
}

/** A whole model file. */
export interface ModelProto {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
}

// Wire types from the protobuf encoding spec.
const VARINT = 0;
const FIXED32 = 5;
const LEN = 2;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;
const utf8 = new TextEncoder();

/** Accumulates one encoded message as byte chunks. */
export class ProtoWriter {
  readonly parts: Uint8Array[] = [];
  byteLength = 0;

  /** Appends raw bytes. */
  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.byteLength += bytes.byteLength;
  }

  /** Writes a base-128 varint; negative numbers take ten bytes, as int64 requires. */
  rawVarint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`Not a safe integer: ${n}`);
    const out: number[] = [];
    if (n >= 0 && n < 2 ** 31) {
      // Fast path for the common case: tags, lengths, small ints.
      for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
      out.push(n);
    } else {
      let v = BigInt.asUintN(64, BigInt(n));
      for (; v > 0x7fn; v >>= 7n) out.push(Number(v & 0x7fn) | 0x80);
      out.push(Number(v));
    }
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  /** Writes an int32/int64/enum field. */
  int(field: number, n: number): void {
    this.tag(field, VARINT);
    this.rawVarint(n);
  }

  /** Writes a float field (fixed32). */
  float(field: number, x: number): void {
    this.tag(field, FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, x, true);
    this.push(bytes);
  }

  /** Writes a bytes field. */
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, LEN);
    this.rawVarint(data.byteLength);
    this.push(data);
  }

  /** Writes a string field as UTF-8. */
  string(field: number, s: string): void {
    this.bytes(field, utf8.encode(s));
  }

  /** Writes an embedded message without copying its chunks. */
  message(field: number, sub: ProtoWriter): void {
    this.tag(field, LEN);
    this.rawVarint(sub.byteLength);
    for (const part of sub.parts) this.push(part);
  }
}

function encodeTensor(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.rawData);
  return w;
}

function encodeAttribute(a: AttributeProto): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, a.name);
  w.int(20, ATTRIBUTE_TYPE[a.kind]);
  if (a.kind === "float") w.float(2, a.value);
  else if (a.kind === "int") w.int(3, a.value);
  else if (a.kind === "string") w.string(4, a.value);
  else if (a.kind === "tensor") w.message(5, encodeTensor(a.value));
  else for (const i of a.value) w.int(8, i);
  return w;
}

function encodeNode(n: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, encodeAttribute(a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeValueInfo(v: ValueInfoProto): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter();
  tensorType.int(1, v.elemType);
  tensorType.message(2, shape);
  const type = new ProtoWriter();
  type.message(1, tensorType);
  const w = new ProtoWriter();
  w.string(1, v.name);
  w.message(2, type);
  return w;
}

function encodeGraph(g: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

/** Encodes a model as byte chunks, to be written out in order (see {@link concatParts}). */
export function encodeModel(m: ModelProto): ProtoWriter {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, encodeGraph(m.graph));
  for (const op of m.opsetImports) {
    const o = new ProtoWriter();
    o.string(1, op.domain);
    o.int(2, op.version);
    w.message(8, o);
  }
  return w;
}

/** Joins a writer's chunks into one buffer (fine for small models and tests). */
export function concatParts(w: ProtoWriter): Uint8Array {
  const out = new Uint8Array(w.byteLength);
  let offset = 0;
  for (const part of w.parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
