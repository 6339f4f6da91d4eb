/**
 * A loaded model: transformers.js loads the tokenizer and the ONNX session on
 * the chosen execution provider (strictly local files), and this wrapper
 * exposes the three things generation needs: encode, decode and one forward
 * step over a KV cache.
 */
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from "@huggingface/transformers";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { assertBackendAvailable, backendUnavailable, describeProviderFailure } from "./backend.ts";
import type { Backend } from "../shared/contracts/worker.ts";
import { DTYPE_ONNX_FILE, type ModelDtype } from "../shared/contracts/models.ts";
import type { ChatMessage } from "../shared/contracts/inference.ts";
import { RbeeError } from "../shared/errors.ts";

/** Past keys and values by input name, carried from one step to the next. */
export type KvCache = Record<string, Tensor>;

/** Result of one forward step: next-token logits and the grown cache. */
export interface StepResult {
  logits: Float32Array;
  cache: KvCache;
}

/** What generation needs from a model. */
export interface LanguageModel {
  /** Token ids of a prompt, BOS included when the model wants one. */
  encode(text: string): number[];
  /** Token ids of a chat, rendered through the model's chat template when it has one. */
  encodeChat(messages: ChatMessage[]): number[];
  /** Text of token ids, special tokens skipped. */
  decode(ids: number[]): string;
  /** Ids that end generation. */
  eosIds: ReadonlySet<number>;
  /** Longest sequence the model accepts. */
  contextLength: number;
  /** Runs `ids` (new tokens at positions `pastLength…`) and returns the last position's logits. */
  step(ids: number[], pastLength: number, cache: KvCache | null): Promise<StepResult>;
  /** Frees the session. */
  dispose(): Promise<void>;
}

/** Folder of onnxruntime-node's native libraries, where optional providers get installed. */
export function ortLibraryDir(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve("onnxruntime-node");
    return join(dirname(entry), "..", "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return null;
  }
}

function executionProviders(backend: Backend, device: number) {
  if (backend === "cuda") return [{ name: "cuda", deviceId: device }];
  // onnxruntime-node's WebGPU provider picks its adapter itself and takes no device index.
  return [backend];
}

/** Files a model folder must hold, relative to it, besides the ONNX graph of its dtype. */
export const REQUIRED_MODEL_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
];

function assertModelFolder(dir: string, dtype: ModelDtype): void {
  for (const file of [...REQUIRED_MODEL_FILES, DTYPE_ONNX_FILE[dtype]]) {
    try {
      Deno.statSync(join(dir, file));
    } catch {
      throw new RbeeError("INVALID_MODEL_FILE", `The model folder has no '${file}'`, { file });
    }
  }
}

/**
 * Loads the model folder's `dtype` variant on `backend`; throws BACKEND_UNAVAILABLE when
 * the provider cannot start, INVALID_MODEL_FILE when the folder lacks that variant.
 */
export async function loadModel(
  dir: string,
  backend: Backend,
  device: number,
  dtype: ModelDtype = "fp32",
): Promise<LanguageModel> {
  assertBackendAvailable(backend, device, ortLibraryDir());
  assertModelFolder(dir, dtype);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "";
  env.useFSCache = false;
  env.useBrowserCache = false; // Deno exposes `caches`; model files must come from the folder only
  // deno-lint-ignore no-explicit-any
  let tokenizer: any, model: any;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  } catch (err) {
    throw new RbeeError("INVALID_MODEL_FILE", `Cannot load the tokenizer: ${firstLine(err)}`);
  }
  try {
    model = await AutoModelForCausalLM.from_pretrained(dir, {
      local_files_only: true,
      // transformers.js picks the file by dtype: model.onnx, model_fp16.onnx, model_quantized.onnx …
      dtype,
      device: backend,
      session_options: { executionProviders: executionProviders(backend, device) },
    });
  } catch (err) {
    if (backend !== "cpu") throw backendUnavailable(backend, describeProviderFailure(String(err)));
    throw new RbeeError("INVALID_MODEL_FILE", `Cannot load the model: ${firstLine(err)}`);
  }
  return wrap(tokenizer, model);
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // onnxruntime messages can name files; keep the first line and drop absolute paths
  return text.split("\n")[0].replace(/\/[^\s'"]+/g, "<path>").slice(0, 300);
}

// deno-lint-ignore no-explicit-any
function wrap(tokenizer: any, model: any): LanguageModel {
  const config = model.config;
  const eos = config.eos_token_id ?? tokenizer.eos_token_id;
  const eosIds = new Set<number>(
    (Array.isArray(eos) ? eos : [eos]).filter((x): x is number => typeof x === "number"),
  );
  const hasTemplate = Boolean(tokenizer.chat_template);
  return {
    eosIds,
    contextLength: config.max_position_embeddings ?? 2048,
    encode: (text) => Array.from(tokenizer.encode(text) as number[]),
    encodeChat: (messages) =>
      hasTemplate
        ? Array.from(
          tokenizer.apply_chat_template(messages, {
            add_generation_prompt: true,
            tokenize: true,
            return_tensor: false,
          }) as number[],
        )
        : Array.from(tokenizer.encode(messages.map((m) => m.content).join("\n")) as number[]),
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
    step: (ids, pastLength, cache) => runStep(model, ids, pastLength, cache),
    dispose: () => model.dispose(),
  };
}

// deno-lint-ignore no-explicit-any
async function runStep(model: any, ids: number[], pastLength: number, cache: KvCache | null) {
  const n = ids.length;
  const total = pastLength + n;
  const inputs: Record<string, unknown> = {
    input_ids: new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
    position_ids: new Tensor("int64", BigInt64Array.from({ length: n }, (_, i) => BigInt(pastLength + i)), [
      1,
      n,
    ]),
  };
  if (cache) inputs.past_key_values = cache;
  const out = await model.forward(inputs);
  const logits = out.logits as Tensor;
  const vocab = logits.dims.at(-1)!;
  const data = logits.data as Float32Array;
  const last = data.slice(data.length - vocab);
  const next: KvCache = {};
  for (const [name, tensor] of Object.entries(out)) {
    if (name.startsWith("present")) next[name.replace("present", "past_key_values")] = tensor as Tensor;
  }
  if (cache) disposeReplaced(cache, next);
  logits.dispose?.();
  return { logits: last, cache: next };
}

/** GPU-resident cache tensors must be freed by hand once replaced. */
function disposeReplaced(old: KvCache, next: KvCache) {
  for (const [name, tensor] of Object.entries(old)) {
    if (tensor !== next[name] && tensor.location === "gpu-buffer") tensor.dispose();
  }
}
