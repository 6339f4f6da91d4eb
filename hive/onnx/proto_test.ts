import * as ort from "onnxruntime-node";
import { assertEquals, assertThrows, assertTrue } from "../../shared/testing.ts";
import { concatParts, DataType, encodeModel, ProtoWriter } from "./proto.ts";
import { GraphBuilder } from "./graph_builder.ts";

function bytes(write: (w: ProtoWriter) => void): number[] {
  const w = new ProtoWriter();
  write(w);
  return Array.from(concatParts(w));
}

Deno.test("varints follow the protobuf encoding, negatives as 64-bit two's complement", () => {
  assertEquals(bytes((w) => w.int(1, 150)), [0x08, 0x96, 0x01]);
  assertEquals(bytes((w) => w.int(2, 0)), [0x10, 0x00]);
  assertEquals(bytes((w) => w.int(1, -1)), [0x08, ...Array(9).fill(0xff), 0x01]);
  assertEquals(bytes((w) => w.int(1, 2 ** 35)), [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assertThrows(() => bytes((w) => w.int(1, 0.5)), RangeError);
});

Deno.test("strings, floats and embedded messages carry their length", () => {
  assertEquals(bytes((w) => w.string(2, "testing")), [0x12, 0x07, ...new TextEncoder().encode("testing")]);
  assertEquals(bytes((w) => w.float(2, 1)), [0x15, 0x00, 0x00, 0x80, 0x3f]);
  const inner = new ProtoWriter();
  inner.int(1, 150);
  assertEquals(bytes((w) => w.message(3, inner)), [0x1a, 0x03, 0x08, 0x96, 0x01]);
});

Deno.test("graph builder names stay unique and constants are shared", () => {
  const b = new GraphBuilder();
  assertEquals([b.uniqueName("x"), b.uniqueName("x"), b.uniqueName("x")], ["x", "x_1", "x_2"]);
  assertEquals(b.int64([1, 2]), b.int64([1, 2]));
  assertEquals(b.float(2) === b.float(3), false);
  assertThrows(() => b.floats("w", [2, 2], new Float32Array(3)), RangeError);
});

/** y = Softmax(x + bias) over the last axis, with a symbolic batch dimension. */
function tinyModel(): Uint8Array {
  const b = new GraphBuilder();
  b.input("x", DataType.FLOAT, ["batch_size", 3]);
  b.output("y", DataType.FLOAT, ["batch_size", 3]);
  b.output("m", DataType.FLOAT, ["batch_size", 1]);
  const bias = b.floats("bias", [3], Float32Array.of(0, 1, 2));
  const sum = b.node("Add", ["x", bias]);
  b.namedNode("Softmax", [sum], "y", { axis: -1 });
  b.namedNode("ReduceMean", [sum], "m", { axes: [-1], keepdims: 1 });
  const model = encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: "", version: 17 }],
    producerName: "rbee-test",
    producerVersion: "0",
    graph: b.build("tiny"),
  });
  return concatParts(model);
}

Deno.test("onnxruntime loads and runs an encoded model", async () => {
  const session = await ort.InferenceSession.create(tinyModel());
  try {
    assertEquals(session.inputNames, ["x"]);
    assertEquals(session.outputNames, ["y", "m"]);
    const meta = session.inputMetadata[0];
    assertEquals(meta.isTensor && meta.shape, ["batch_size", 3]);
    const x = new ort.Tensor("float32", Float32Array.of(0, 0, 0, 1, 1, 1), [2, 3]);
    const { y, m } = await session.run({ x });
    assertEquals(y.dims, [2, 3]);
    const e = [1, Math.E, Math.E ** 2];
    const total = e[0] + e[1] + e[2];
    const expected = [...e, ...e].map((v) => v / total);
    Array.from(y.data as Float32Array).forEach((v, i) =>
      assertTrue(Math.abs(v - expected[i]) < 1e-6, `y[${i}] ${v}`)
    );
    assertEquals(Array.from(m.data as Float32Array), [1, 2]);
  } finally {
    await session.release();
  }
});
