/**
 * Builds the ONNX graph of a llama2.c model: a Llama decoder with KV cache, in
 * the interface transformers.js expects of a `llama` decoder-only model, using
 * only standard opset-17 operators so that every execution provider runs it.
 */
import type { Llama2cCheckpoint, Llama2cConfig, Llama2cWeights } from "./checkpoint.ts";
import { GraphBuilder } from "../onnx/graph_builder.ts";
import { DataType, type GraphProto, type ModelProto } from "../onnx/proto.ts";

/** The opset the graph targets. */
export const OPSET = 17;
const RMS_EPS = 1e-5;
const ROPE_THETA = 10000;
const FLOAT32_LOWEST = -3.4028234663852886e38;

interface Ctx {
  b: GraphBuilder;
  c: Llama2cConfig;
  w: Llama2cWeights;
  cos: string;
  sin: string;
  allowed: string;
}

/**
 * `[out][in]` rows of layer `layer` → `[in][out]` for MatMul; `rowOf(o)` picks the
 * source row of output `o` so that a permutation costs no extra copy.
 */
function transposed(
  all: Float32Array,
  layer: number,
  out: number,
  inn: number,
  rowOf = (o: number) => o,
): Float32Array {
  const w = all.subarray(layer * out * inn, (layer + 1) * out * inn);
  const t = new Float32Array(out * inn);
  for (let o = 0; o < out; o++) {
    const row = rowOf(o) * inn;
    for (let i = 0; i < inn; i++) t[i * out + o] = w[row + i];
  }
  return t;
}

/** Within each head, even rows first, then odd: turns interleaved RoPE into rotate-half RoPE. */
function ropeRowOrder(headDim: number): (o: number) => number {
  const half = headDim / 2;
  return (o) => {
    const head = Math.floor(o / headDim);
    const j = o % headDim;
    return head * headDim + (j < half ? 2 * j : 2 * (j - half) + 1);
  };
}

/** cos and sin of `pos * theta^(-2j/head_dim)`, shape `[seq_len, head_dim / 2]`. */
export function ropeTables(seqLen: number, headDim: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(seqLen * half);
  const sin = new Float32Array(seqLen * half);
  for (let pos = 0; pos < seqLen; pos++) {
    for (let j = 0; j < half; j++) {
      // Same float32 steps as run.c, so that angles round the same way.
      const freq = Math.fround(1 / Math.fround(ROPE_THETA ** Math.fround((2 * j) / headDim)));
      const angle = Math.fround(pos * freq);
      cos[pos * half + j] = Math.cos(angle);
      sin[pos * half + j] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

function rmsNorm(b: GraphBuilder, x: string, weight: string): string {
  const meanSquare = b.node("ReduceMean", [b.node("Pow", [x, b.float(2)])], { axes: [-1], keepdims: 1 });
  const rms = b.node("Sqrt", [b.node("Add", [meanSquare, b.float(RMS_EPS)])]);
  return b.node("Mul", [b.node("Div", [x, rms]), weight]);
}

/** `[B, T, heads * hd]` → `[B, heads, T, hd]`. */
function splitHeads(b: GraphBuilder, x: string, heads: number, headDim: number): string {
  const r = b.node("Reshape", [x, b.int64([0, 0, heads, headDim])]);
  return b.node("Transpose", [r], { perm: [0, 2, 1, 3] });
}

function rope(ctx: Ctx, x: string): string {
  const { b } = ctx;
  const [x1, x2] = b.nodeN("Split", [x], 2, { axis: -1 });
  const rotated = b.node("Concat", [b.node("Neg", [x2]), x1], { axis: -1 });
  return b.node("Add", [b.node("Mul", [x, ctx.cos]), b.node("Mul", [rotated, ctx.sin])]);
}

/** `[B, kvHeads, S, hd]` → `[B, heads, S, hd]`, each kv head serving `heads / kvHeads` query heads. */
function repeatKv(ctx: Ctx, x: string): string {
  const { b, c } = ctx;
  const rep = c.nHeads / c.nKvHeads;
  if (rep === 1) return x;
  const e = b.node("Expand", [b.node("Unsqueeze", [x, b.int64([2])]), b.int64([1, 1, rep, 1, 1])]);
  return b.node("Reshape", [e, b.int64([0, c.nHeads, -1, c.headDim])]);
}

/** `x · Wᵀ` for layer `layer` of `all`; `ropeOrder` applies {@link ropeRowOrder} (q and k only). */
function projection(
  ctx: Ctx,
  x: string,
  name: string,
  all: Float32Array,
  layer: number,
  [out, inn]: [out: number, inn: number],
  ropeOrder = false,
): string {
  const data = transposed(all, layer, out, inn, ropeOrder ? ropeRowOrder(ctx.c.headDim) : undefined);
  return ctx.b.node("MatMul", [x, ctx.b.floats(name, [inn, out], data)]);
}

/** Projects `x` with wq, wk or wv and splits the result into heads, `[B, heads, T, hd]`. */
function projectHeads(ctx: Ctx, x: string, layer: number, which: "q" | "k" | "v"): string {
  const { c, w } = ctx;
  const heads = which === "q" ? c.nHeads : c.nKvHeads;
  const name = `model.layers.${layer}.self_attn.${which}_proj.weight`;
  const all = { q: w.wq, k: w.wk, v: w.wv }[which];
  const y = projection(ctx, x, name, all, layer, [heads * c.headDim, c.dim], which !== "v");
  return splitHeads(ctx.b, y, heads, c.headDim);
}

function attention(ctx: Ctx, layer: number, x: string): string {
  const { b, c, w } = ctx;
  const q = projectHeads(ctx, x, layer, "q");
  const k = projectHeads(ctx, x, layer, "k");
  const v = projectHeads(ctx, x, layer, "v");
  const keys = `present.${layer}.key`;
  const values = `present.${layer}.value`;
  b.namedNode("Concat", [`past_key_values.${layer}.key`, rope(ctx, k)], keys, { axis: 2 });
  b.namedNode("Concat", [`past_key_values.${layer}.value`, v], values, { axis: 2 });
  const kT = b.node("Transpose", [repeatKv(ctx, keys)], { perm: [0, 1, 3, 2] });
  const scores = b.node("Mul", [b.node("MatMul", [rope(ctx, q), kT]), b.float(1 / Math.sqrt(c.headDim))]);
  const masked = b.node("Where", [ctx.allowed, scores, b.float(FLOAT32_LOWEST)]);
  const probs = b.node("Softmax", [masked], { axis: -1 });
  const heads = b.node("Transpose", [b.node("MatMul", [probs, repeatKv(ctx, values)])], {
    perm: [0, 2, 1, 3],
  });
  const merged = b.node("Reshape", [heads, b.int64([0, 0, c.dim])]);
  return projection(ctx, merged, `model.layers.${layer}.self_attn.o_proj.weight`, w.wo, layer, [
    c.dim,
    c.dim,
  ]);
}

function feedForward(ctx: Ctx, layer: number, x: string): string {
  const { b, c, w } = ctx;
  const p = `model.layers.${layer}.mlp`;
  const gate = projection(ctx, x, `${p}.gate_proj.weight`, w.w1, layer, [c.hiddenDim, c.dim]);
  const up = projection(ctx, x, `${p}.up_proj.weight`, w.w3, layer, [c.hiddenDim, c.dim]);
  const silu = b.node("Mul", [gate, b.node("Sigmoid", [gate])]);
  const hidden = b.node("Mul", [silu, up]);
  return projection(ctx, hidden, `${p}.down_proj.weight`, w.w2, layer, [c.dim, c.hiddenDim]);
}

/**
 * Which keys each query may see, `[B, 1, T, past + T]` bool: query `i` sits at
 * absolute slot `past + i` and sees slots up to its own, minus padding.
 */
function attentionMask(b: GraphBuilder): string {
  const scalarDim = (x: string, axis: number) =>
    b.node("Squeeze", [b.node("Shape", [x], { start: axis, end: axis + 1 })]);
  const past = scalarDim("past_key_values.0.key", 2);
  const total = b.node("Add", [past, scalarDim("input_ids", 1)]);
  const keySlots = b.node("Range", [b.int64([0], true), total, b.int64([1], true)]);
  const querySlots = b.node("Range", [past, total, b.int64([1], true)]);
  const causal = b.node("LessOrEqual", [
    b.node("Unsqueeze", [keySlots, b.int64([0])]),
    b.node("Unsqueeze", [querySlots, b.int64([1])]),
  ]);
  const padding = b.node("Unsqueeze", [
    b.node("Cast", ["attention_mask"], { to: DataType.BOOL }),
    b.int64([1, 2]),
  ]);
  return b.node("And", [causal, padding]);
}

/** `[B, 1, T, head_dim]` cos or sin for the given positions. */
function ropeAt(b: GraphBuilder, table: string): string {
  const half = b.node("Gather", [table, "position_ids"], { axis: 0 });
  return b.node("Unsqueeze", [b.node("Concat", [half, half], { axis: -1 }), b.int64([1])]);
}

function declareIo(b: GraphBuilder, c: Llama2cConfig): void {
  const kvShape = (len: string) => ["batch_size", c.nKvHeads, len, c.headDim];
  b.input("input_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  b.input("attention_mask", DataType.INT64, ["batch_size", "total_sequence_length"]);
  b.input("position_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  b.output("logits", DataType.FLOAT, ["batch_size", "sequence_length", c.vocabSize]);
  for (let i = 0; i < c.nLayers; i++) {
    for (const kind of ["key", "value"]) {
      b.input(`past_key_values.${i}.${kind}`, DataType.FLOAT, kvShape("past_sequence_length"));
      b.output(`present.${i}.${kind}`, DataType.FLOAT, kvShape("total_sequence_length"));
    }
  }
}

/** Builds the decoder graph of a checkpoint. */
export function buildLlamaGraph({ config: c, weights: w }: Llama2cCheckpoint): GraphProto {
  const b = new GraphBuilder();
  declareIo(b, c);
  const tables = ropeTables(c.seqLen, c.headDim);
  const shape = [c.seqLen, c.headDim / 2];
  const cos = ropeAt(b, b.floats("rope.cos", shape, tables.cos));
  const sin = ropeAt(b, b.floats("rope.sin", shape, tables.sin));
  const ctx: Ctx = { b, c, w, cos, sin, allowed: attentionMask(b) };
  const embedding = b.floats("model.embed_tokens.weight", [c.vocabSize, c.dim], w.tokenEmbedding);
  let x = b.node("Gather", [embedding, "input_ids"], { axis: 0 });
  const norm = (name: string, all: Float32Array, i: number) =>
    b.floats(name, [c.dim], all.subarray(i * c.dim, (i + 1) * c.dim));
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}`;
    x = b.node("Add", [
      x,
      attention(ctx, i, rmsNorm(b, x, norm(`${p}.input_layernorm.weight`, w.rmsAtt, i))),
    ]);
    x = b.node("Add", [
      x,
      feedForward(ctx, i, rmsNorm(b, x, norm(`${p}.post_attention_layernorm.weight`, w.rmsFfn, i))),
    ]);
  }
  x = rmsNorm(b, x, norm("model.norm.weight", w.rmsFinal, 0));
  // Tied logits reuse the embedding through a Transpose node rather than a second copy on disk.
  const classifier = c.sharedClassifier
    ? b.node("Transpose", [embedding], { perm: [1, 0] })
    : b.floats("lm_head.weight", [c.dim, c.vocabSize], transposed(w.classifier, 0, c.vocabSize, c.dim));
  b.namedNode("MatMul", [x, classifier], "logits");
  return b.build("llama2c");
}

/** Wraps the decoder graph into a model (IR version 8, opset 17, default domain only). */
export function buildLlamaModel(checkpoint: Llama2cCheckpoint): ModelProto {
  return {
    irVersion: 8,
    opsetImports: [{ domain: "", version: OPSET }],
    producerName: "rbee",
    producerVersion: "llama2c-import",
    graph: buildLlamaGraph(checkpoint),
  };
}
