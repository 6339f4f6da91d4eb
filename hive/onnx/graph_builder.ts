/**
 * A small helper to assemble ONNX graphs: nodes with generated unique names,
 * initializers, shared constants, inputs and outputs.
 */
import {
  type AttributeProto,
  DataType,
  type DataTypeCode,
  type Dim,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./proto.ts";

/** An attribute value: numbers are INT(S), `{ float }` is FLOAT, a string is STRING. */
export type AttrValue = number | number[] | string | { float: number };

/** Typed data an initializer can be built from. */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

function toAttribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === "number") return { name, kind: "int", value: v };
  if (typeof v === "string") return { name, kind: "string", value: v };
  if (Array.isArray(v)) return { name, kind: "ints", value: v };
  return { name, kind: "float", value: v.float };
}

function bytesOf(data: TensorData): Uint8Array {
  // ONNX raw_data is little-endian, as are the typed arrays on every host rbee runs on.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Builds one ONNX graph step by step. */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** Returns `base`, or `base_N` when that name is taken, and reserves it. */
  uniqueName(base: string): string {
    let name = base;
    for (let n = 1; this.used.has(name); n++) name = `${base}_${n}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node with `outputCount` outputs and returns their names. */
  nodeN(
    opType: string,
    inputs: string[],
    outputCount: number,
    attrs: Record<string, AttrValue> = {},
    name = opType,
  ): string[] {
    const nodeName = this.uniqueName(name);
    const outputs = Array.from(
      { length: outputCount },
      (_, i) => this.uniqueName(`${nodeName}/out${i}`),
    );
    const attributes = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    this.nodes.push({ name: nodeName, opType, inputs, outputs, attributes });
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name = opType): string {
    return this.nodeN(opType, inputs, 1, attrs, name)[0];
  }

  /** Adds a node whose single output has a fixed name (a graph output). */
  namedNode(opType: string, inputs: string[], output: string, attrs: Record<string, AttrValue> = {}): void {
    this.used.add(output);
    const attributes = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    this.nodes.push({
      name: this.uniqueName(`${output}/${opType}`),
      opType,
      inputs,
      outputs: [output],
      attributes,
    });
  }

  /** Adds an initializer and returns its (unique) name. */
  initializer(name: string, dataType: DataTypeCode, dims: number[], data: TensorData): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new RangeError(
        `Initializer '${name}' has ${data.length} elements, shape [${dims}] needs ${expected}`,
      );
    }
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, dataType, dims, rawData: bytesOf(data) });
    return unique;
  }

  /** A float32 initializer. */
  floats(name: string, dims: number[], data: Float32Array): string {
    return this.initializer(name, DataType.FLOAT, dims, data);
  }

  /** A shared int64 constant (a 1-D tensor, or a scalar when `scalar` is set). */
  int64(values: number[], scalar = false): string {
    return this.constant(`i64:${scalar}:${values}`, () => {
      const dims = scalar ? [] : [values.length];
      return this.initializer("const_i64", DataType.INT64, dims, BigInt64Array.from(values, BigInt));
    });
  }

  /** A shared float32 scalar constant. */
  float(value: number): string {
    return this.constant(`f32:${value}`, () => this.floats("const_f32", [], Float32Array.of(value)));
  }

  private constant(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = make();
      this.constants.set(key, name);
    }
    return name;
  }

  /** Declares a graph input. */
  input(name: string, elemType: DataTypeCode, shape: Dim[]): string {
    this.used.add(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares a graph output; a node must produce `name`. */
  output(name: string, elemType: DataTypeCode, shape: Dim[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  /** Returns the finished graph. */
  build(name: string): GraphProto {
    return {
      name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }
}
