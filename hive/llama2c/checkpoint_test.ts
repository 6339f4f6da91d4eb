import { assertEquals, assertThrows, assertTrue } from "../../shared/testing.ts";
import { RbeeError } from "../../shared/errors.ts";
import {
  expectedFileSize,
  parameterCount,
  parseCheckpoint,
  parseHeader,
  readCheckpoint,
} from "./checkpoint.ts";

const STORIES = new URL(
  "../../../shared/hf-mirror/karpathy/tinyllamas/resolve/main/stories260K/",
  import.meta.url,
);

type Header = [number, number, number, number, number, number, number];

/** A synthetic checkpoint whose arrays are filled with 1, 2, 3, … in file order. */
function synthetic(header: Header): Uint8Array {
  const c = parseHeader(new Uint8Array(Int32Array.from(header).buffer));
  const [dim, h, l, , , , s] = header;
  const kv = c.nKvHeads * c.headDim;
  const v = c.vocabSize;
  const sizes = [v * dim, l * dim, l * dim * dim, l * kv * dim, l * kv * dim, l * dim * dim, l * dim];
  sizes.push(l * h * dim, l * dim * h, l * h * dim, dim, s * c.headDim);
  if (!c.sharedClassifier) sizes.push(v * dim);
  const floats = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  sizes.forEach((n, i) => floats.fill(i + 1, at, at += n));
  const out = new Uint8Array(28 + floats.byteLength);
  out.set(new Uint8Array(Int32Array.from(header).buffer));
  out.set(new Uint8Array(floats.buffer), 28);
  return out;
}

function rejects(bytes: Uint8Array, part: string): void {
  const err = assertThrows(() => parseCheckpoint(bytes), RbeeError);
  assertEquals(err.code, "INVALID_MODEL_FILE");
  assertTrue(err.message.includes(part), `${JSON.stringify(err.message)} should mention ${part}`);
}

Deno.test("stories260K parses with its known header and parameter count", async () => {
  const { config, weights } = await readCheckpoint(new URL("stories260K.bin", STORIES).pathname);
  assertEquals(
    [
      config.dim,
      config.hiddenDim,
      config.nLayers,
      config.nHeads,
      config.nKvHeads,
      config.vocabSize,
      config.seqLen,
    ],
    [64, 172, 5, 8, 4, 512, 512],
  );
  assertEquals(config.sharedClassifier, true);
  assertEquals(config.headDim, 8);
  assertEquals(parameterCount(config), 260_032);
  assertEquals(weights.tokenEmbedding.length, 512 * 64);
  assertEquals(weights.wk.length, 5 * 32 * 64);
  assertTrue(weights.classifier === weights.tokenEmbedding);
});

Deno.test("arrays are sliced in file order and a negative vocab_size adds a classifier", () => {
  const { config, weights } = parseCheckpoint(synthetic([8, 12, 2, 2, 1, -5, 6]));
  assertEquals(config.sharedClassifier, false);
  assertEquals(config.vocabSize, 5);
  const order = [
    weights.tokenEmbedding,
    weights.rmsAtt,
    weights.wq,
    weights.wk,
    weights.wv,
    weights.wo,
    weights.rmsFfn,
    weights.w1,
    weights.w2,
    weights.w3,
    weights.rmsFinal,
  ];
  order.forEach((a, i) => assertTrue(a.every((x) => x === i + 1), `array ${i} holds other values`));
  assertEquals(weights.wk.length, 2 * 4 * 8);
  assertTrue(weights.classifier.length === 5 * 8 && weights.classifier.every((x) => x === 13));
});

Deno.test("a checkpoint must end exactly where its header says", () => {
  const good = synthetic([8, 12, 2, 2, 2, 5, 6]);
  assertEquals(good.byteLength, expectedFileSize(parseHeader(good)));
  const longer = new Uint8Array(good.byteLength + 4);
  longer.set(good);
  rejects(longer, `'${good.byteLength + 4}' bytes`);
  rejects(good.subarray(0, good.byteLength - 1), `'${good.byteLength}'`);
  // A tied checkpoint read as untied would need another [vocab, dim] classifier.
  const untied = good.slice();
  new DataView(untied.buffer).setInt32(20, -5, true);
  rejects(untied, "header implies");
});

Deno.test("impossible headers are rejected with the offending value", () => {
  const header = (h: number[]) => new Uint8Array(Int32Array.from(h).buffer);
  rejects(new Uint8Array(10), "'10' bytes");
  rejects(header([8, 12, 2, 0, 1, 5, 6]), "n_heads is '0'");
  rejects(header([8, 12, 2, 3, 1, 5, 6]), "dim '8' is not a multiple of n_heads '3'");
  rejects(header([8, 12, 2, 4, 3, 5, 6]), "n_heads '4' is not a multiple of n_kv_heads '3'");
  rejects(header([9, 12, 2, 3, 1, 5, 6]), "head size '3' is odd");
  rejects(header([8, 12, 2, 2, 1, 0, 6]), "vocab_size is '0'");
});

Deno.test("an unaligned buffer is copied rather than misread", () => {
  const good = synthetic([8, 12, 1, 2, 2, 5, 6]);
  const shifted = new Uint8Array(good.byteLength + 1);
  shifted.set(good, 1);
  const { weights } = parseCheckpoint(shifted.subarray(1));
  assertTrue(weights.rmsFinal.every((x) => x === 11));
});
