/**
 * Parses a llama2.c legacy (version 0) checkpoint into its header and float32
 * views of the weights (format: shared/formats/llama2c.md).
 */
import { RbeeError } from "../../shared/errors.ts";

/** The checkpoint header, with derived sizes. */
export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Always positive; see `sharedClassifier`. */
  vocabSize: number;
  seqLen: number;
  /** True when the logits reuse the token embedding (a non-negative `vocab_size` in the file). */
  sharedClassifier: boolean;
  headDim: number;
}

/** The weights, as views into the file's bytes; matrices are stored `[out][in]`. */
export interface Llama2cWeights {
  tokenEmbedding: Float32Array;
  rmsAtt: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  rmsFfn: Float32Array;
  w1: Float32Array;
  w2: Float32Array;
  w3: Float32Array;
  rmsFinal: Float32Array;
  /** The output classifier `[vocab][dim]`; the token embedding when shared. */
  classifier: Float32Array;
}

/** A parsed checkpoint. */
export interface Llama2cCheckpoint {
  config: Llama2cConfig;
  weights: Llama2cWeights;
}

const HEADER_BYTES = 7 * 4;

function invalid(message: string): RbeeError {
  return new RbeeError("INVALID_MODEL_FILE", `Invalid llama2.c checkpoint: ${message}`);
}

/** Reads and checks the seven-int32 header. */
export function parseHeader(bytes: Uint8Array): Llama2cConfig {
  if (bytes.byteLength < HEADER_BYTES) {
    throw invalid(`file has '${bytes.byteLength}' bytes, fewer than the ${HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = Array.from(
    { length: 7 },
    (_, i) => view.getInt32(i * 4, true),
  );
  const named = {
    dim,
    hidden_dim: hiddenDim,
    n_layers: nLayers,
    n_heads: nHeads,
    n_kv_heads: nKvHeads,
    seq_len: seqLen,
  };
  for (const [name, value] of Object.entries(named)) {
    if (value <= 0) throw invalid(`header field ${name} is '${value}', expected a positive number`);
  }
  if (vocab === 0) throw invalid(`header field vocab_size is '0'`);
  if (dim % nHeads !== 0) throw invalid(`dim '${dim}' is not a multiple of n_heads '${nHeads}'`);
  if (nHeads % nKvHeads !== 0) {
    throw invalid(`n_heads '${nHeads}' is not a multiple of n_kv_heads '${nKvHeads}'`);
  }
  const headDim = dim / nHeads;
  if (headDim % 2 !== 0) throw invalid(`head size '${headDim}' is odd, RoPE needs it even`);
  return {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize: Math.abs(vocab),
    seqLen,
    sharedClassifier: vocab > 0,
    headDim,
  };
}

/** The element count of each array in file order, including the skipped RoPE tables. */
function arraySizes(c: Llama2cConfig): [keyof Llama2cWeights | "rope", number][] {
  const { dim, hiddenDim: h, nLayers: l, vocabSize: v, headDim } = c;
  const kv = c.nKvHeads * headDim;
  const sizes: [keyof Llama2cWeights | "rope", number][] = [
    ["tokenEmbedding", v * dim],
    ["rmsAtt", l * dim],
    ["wq", l * dim * dim],
    ["wk", l * kv * dim],
    ["wv", l * kv * dim],
    ["wo", l * dim * dim],
    ["rmsFfn", l * dim],
    ["w1", l * h * dim],
    ["w2", l * dim * h],
    ["w3", l * h * dim],
    ["rmsFinal", dim],
    ["rope", c.seqLen * headDim], // two legacy tables of [seq_len, head_dim / 2]
  ];
  if (!c.sharedClassifier) sizes.push(["classifier", v * dim]);
  return sizes;
}

/** The exact file size a header implies. */
export function expectedFileSize(c: Llama2cConfig): number {
  return HEADER_BYTES + 4 * arraySizes(c).reduce((sum, [, n]) => sum + n, 0);
}

/** Parses a whole checkpoint file; the weights are views into `bytes` (or into an aligned copy). */
export function parseCheckpoint(bytes: Uint8Array): Llama2cCheckpoint {
  const config = parseHeader(bytes);
  const expected = expectedFileSize(config);
  if (bytes.byteLength !== expected) {
    throw invalid(`file has '${bytes.byteLength}' bytes, its header implies '${expected}'`);
  }
  // Float32Array views need 4-byte alignment; Deno.readFile gives it, other callers may not.
  const data = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const weights: Partial<Llama2cWeights> = {};
  let offset = data.byteOffset + HEADER_BYTES;
  for (const [name, count] of arraySizes(config)) {
    if (name !== "rope") weights[name] = new Float32Array(data.buffer, offset, count);
    offset += count * 4;
  }
  weights.classifier ??= weights.tokenEmbedding;
  return { config, weights: weights as Llama2cWeights };
}

/** Reads and parses a checkpoint file. */
export async function readCheckpoint(path: string): Promise<Llama2cCheckpoint> {
  return parseCheckpoint(await Deno.readFile(path));
}

/** The number of trainable parameters (the classifier counts only when it is separate). */
export function parameterCount(c: Llama2cConfig): number {
  return arraySizes(c).reduce(
    (sum, [name, n]) => (name === "rope" ? sum : sum + n),
    0,
  );
}
