import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  Tensor,
} from "@huggingface/transformers";
import { assertEquals, assertRejects, assertTrue } from "../../shared/testing.ts";
import { RbeeError } from "../../shared/errors.ts";
import { importLlama2c } from "./import.ts";

const STORIES = fileURLToPath(
  new URL("../../../shared/hf-mirror/karpathy/tinyllamas/resolve/main/stories260K/", import.meta.url),
);
const PROMPT = "Once upon a time";
/** run.c's greedy (temperature 0) continuation of PROMPT. */
const REFERENCE = ", there was a little girl named Lily. She loved to play outside in the park.";

// Load from the absolute folder only: an absolute path is not a hub model id, so
// transformers.js reads it as-is (localModelPath does not apply); no caches.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.useFSCache = false;

type Cache = Record<string, Tensor>;

const int64 = (values: number[], dims: number[]) =>
  new Tensor("int64", BigInt64Array.from(values, BigInt), dims);

/** One forward step: `ids` are the new tokens, `past` tokens are already in `cache`. */
async function step(model: PreTrainedModel, ids: number[], past: number, cache: Cache | null) {
  const total = past + ids.length;
  const out = await model.forward({
    input_ids: int64(ids, [1, ids.length]),
    attention_mask: int64(Array(total).fill(1), [1, total]),
    position_ids: int64(ids.map((_, i) => past + i), [1, ids.length]),
    // null makes transformers.js feed empty [1, kv_heads, 0, head_dim] tensors.
    past_key_values: cache,
  }) as Record<string, Tensor>;
  const logits = out.logits;
  const vocab = logits.dims[2];
  const last = (logits.data as Float32Array).subarray((ids.length - 1) * vocab, ids.length * vocab);
  const next = last.indexOf(Math.max(...last));
  const present: Cache = {};
  for (const [name, t] of Object.entries(out)) {
    if (name.startsWith("present.")) present[name.replace("present.", "past_key_values.")] = t;
  }
  return { next, present };
}

/** Greedy decoding that feeds one token per step through the KV cache. */
async function greedyWithCache(model: PreTrainedModel, prompt: number[], stop: (out: number[]) => boolean) {
  const out: number[] = [];
  let { next, present } = await step(model, prompt, 0, null);
  while (next !== 1 && next !== 2) {
    out.push(next);
    if (stop(out)) break;
    ({ next, present } = await step(model, [next], prompt.length + out.length - 1, present));
  }
  return out;
}

/** Greedy decoding that recomputes the whole sequence at every step. */
async function greedyWithoutCache(model: PreTrainedModel, prompt: number[], count: number) {
  const out: number[] = [];
  while (out.length < count) {
    const { next } = await step(model, [...prompt, ...out], 0, null);
    if (next === 1 || next === 2) break;
    out.push(next);
  }
  return out;
}

async function withImported(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rbee_llama2c_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function importStories(dir: string) {
  return await importLlama2c({
    checkpointPath: join(STORIES, "stories260K.bin"),
    tokenizerPath: join(STORIES, "tok512.bin"),
    outDir: dir,
  });
}

Deno.test("stories260K imports, loads in transformers.js and decodes like run.c", async () => {
  await withImported(async (dir) => {
    const summary = await importStories(dir);
    assertEquals(summary.parameterCount, 260_032);
    for (const [name, size] of Object.entries(summary.files)) {
      assertEquals((await Deno.stat(join(dir, name))).size, size);
    }
    const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    assertEquals([config.model_type, config.num_key_value_heads, config.eos_token_id], ["llama", 4, [1, 2]]);

    const tokenizer: PreTrainedTokenizer = await AutoTokenizer.from_pretrained(dir);
    const model = await AutoModelForCausalLM.from_pretrained(dir, {
      dtype: "fp32",
      device: "cpu",
      local_files_only: true,
    });
    try {
      const prompt = tokenizer.encode(PROMPT);
      assertEquals(prompt, [1, 403, 407, 261, 378]);
      const decode = (ids: number[]) => tokenizer.decode(ids, { skip_special_tokens: true });
      const ids = await greedyWithCache(model, prompt, (out) => decode(out).length >= REFERENCE.length);
      assertEquals(decode(ids), REFERENCE);
      assertEquals(decode([...prompt, ...ids]), PROMPT + REFERENCE);

      const cached = await greedyWithCache(model, prompt, (out) => out.length >= 20);
      assertEquals(cached.length, 20);
      assertEquals(await greedyWithoutCache(model, prompt, 20), cached);
    } finally {
      await model.dispose();
    }
  });
});

Deno.test("a truncated checkpoint is rejected as an invalid model file", async () => {
  await withImported(async (dir) => {
    const bytes = await Deno.readFile(join(STORIES, "stories260K.bin"));
    const truncated = join(dir, "truncated.bin");
    await Deno.writeFile(truncated, bytes.subarray(0, bytes.byteLength - 4));
    const err = await assertRejects(
      () =>
        importLlama2c({ checkpointPath: truncated, tokenizerPath: join(STORIES, "tok512.bin"), outDir: dir }),
      RbeeError,
    );
    assertEquals(err.code, "INVALID_MODEL_FILE");
    assertTrue(!err.message.includes(dir), "the message must not leak a server path");
  });
});
