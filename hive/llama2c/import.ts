/**
 * Converts a llama2.c checkpoint + tokenizer into the transformers.js/ONNX
 * layout (`config.json`, tokenizer files, `onnx/model.onnx`) in one folder.
 */
import { join } from "node:path";
import { type Llama2cConfig, parameterCount, readCheckpoint } from "./checkpoint.ts";
import { buildTokenizerConfig, buildTokenizerJson, readTokenizer } from "./tokenizer.ts";
import { buildLlamaModel } from "./llama_graph.ts";
import { encodeModel } from "../onnx/proto.ts";

/** What an import produced. */
export interface ImportSummary {
  /** Model hyper-parameters as read from the checkpoint header. */
  config: Llama2cConfig;
  parameterCount: number;
  /** Size in bytes of each written file, keyed by its path relative to `outDir`. */
  files: Record<string, number>;
  /** Size in bytes of all written files together. */
  totalBytes: number;
}

/** Both ids end generation: llama2.c stories end with BOS. */
const BOS_ID = 1;
const EOS_IDS = [1, 2];

/** The Hugging Face `config.json` of an imported model. */
export function buildConfigJson(c: Llama2cConfig): Record<string, unknown> {
  return {
    model_type: "llama",
    architectures: ["LlamaForCausalLM"],
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: "silu",
    attention_bias: false,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_IDS,
    tie_word_embeddings: c.sharedClassifier,
    use_cache: true,
    torch_dtype: "float32",
  };
}

/** The `generation_config.json` of an imported model. */
export function buildGenerationConfig(c: Llama2cConfig): Record<string, unknown> {
  return { bos_token_id: BOS_ID, eos_token_id: EOS_IDS, max_length: c.seqLen, do_sample: false };
}

async function writeParts(path: string, parts: Uint8Array[]): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (const part of parts) {
    for (let done = 0; done < part.byteLength;) done += await file.write(part.subarray(done));
  }
}

/** Imports a llama2.c model into the existing folder `outDir`. */
export async function importLlama2c(
  opts: { checkpointPath: string; tokenizerPath: string; outDir: string },
): Promise<ImportSummary> {
  const checkpoint = await readCheckpoint(opts.checkpointPath);
  const { config } = checkpoint;
  const tokenizer = await readTokenizer(opts.tokenizerPath, config.vocabSize);
  const files: Record<string, number> = {};
  const writeJson = async (name: string, value: unknown) => {
    const bytes = new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n");
    await Deno.writeFile(join(opts.outDir, name), bytes);
    files[name] = bytes.byteLength;
  };
  await writeJson("config.json", buildConfigJson(config));
  await writeJson("generation_config.json", buildGenerationConfig(config));
  await writeJson("tokenizer.json", buildTokenizerJson(tokenizer));
  await writeJson("tokenizer_config.json", buildTokenizerConfig(config.seqLen));
  await Deno.mkdir(join(opts.outDir, "onnx"), { recursive: true });
  const model = encodeModel(buildLlamaModel(checkpoint));
  await writeParts(join(opts.outDir, "onnx", "model.onnx"), model.parts);
  files["onnx/model.onnx"] = model.byteLength;
  const totalBytes = Object.values(files).reduce((a, b) => a + b, 0);
  return { config, parameterCount: parameterCount(config), files, totalBytes };
}
