/**
 * `deno task bench:worker [MODEL_DIR] [--backend B] [--runs N] [--max-tokens N]`
 *
 * Loads a model the way the worker does and prints time to first token and
 * decode tokens/s (median over runs, greedy, prompt "Once upon a time").
 * Without a folder it measures the default model, pulling it into RBEE_HOME
 * (or a temporary home) first.
 */
import { parseArgs } from "node:util";
import { loadModel } from "../worker/model.ts";
import { generate } from "../worker/generate.ts";
import { InferenceRequest } from "../shared/contracts/inference.ts";
import type { Backend } from "../shared/contracts/worker.ts";
import { DEFAULT_MODEL, parseModelRef } from "../shared/model_ref.ts";
import { ensureModel } from "../hive/models/pull.ts";
import { importLlama2c } from "../hive/llama2c/import.ts";
import { hubForScripts } from "./hub_mirror.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    backend: { type: "string", default: "cpu" },
    runs: { type: "string", default: "5" },
    "max-tokens": { type: "string", default: "200" },
  },
});

let tempHome: string | null = null;

async function defaultModelDir(): Promise<string> {
  const hub = await hubForScripts();
  const home = Deno.env.get("RBEE_HOME") ?? (tempHome = await Deno.makeTempDir({ prefix: "rbee-bench-" }));
  try {
    const model = await ensureModel(parseModelRef(DEFAULT_MODEL), {
      home,
      env: {
        HF_ENDPOINT: hub.env.HF_ENDPOINT ?? Deno.env.get("HF_ENDPOINT"),
        HF_TOKEN: Deno.env.get("HF_TOKEN"),
      },
      importLlama2c,
    });
    return model.path;
  } finally {
    await hub.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = positionals[0] ?? await defaultModelDir();
const backend = values.backend as Backend;
const loadStart = performance.now();
const model = await loadModel(dir, backend, 0);
const loadMs = performance.now() - loadStart;
const req = InferenceRequest.parse({
  prompt: "Once upon a time",
  temperature: 0,
  max_tokens: Number(values["max-tokens"]),
});
const ids = model.encode(req.prompt!);
const ttft: number[] = [], tps: number[] = [], counts: number[] = [];
for (let run = 0; run < Number(values.runs); run++) {
  const gen = generate(model, ids, req, new AbortController().signal);
  let next = await gen.next();
  while (!next.done) next = await gen.next();
  ttft.push(next.value.time_to_first_token_ms);
  tps.push(next.value.decode_tokens_per_s);
  counts.push(next.value.tokens_out);
}
await model.dispose();
if (tempHome) await Deno.remove(tempHome, { recursive: true });
console.log(`model:                  ${positionals[0] ?? DEFAULT_MODEL}`);
console.log(`backend:                ${backend}`);
console.log(`load time:              ${loadMs.toFixed(0)} ms`);
console.log(
  `runs:                   ${ttft.length} × ${median(counts)} tokens (greedy, prompt ${ids.length} tokens)`,
);
console.log(`time to first token:    ${median(ttft).toFixed(1)} ms (median)`);
console.log(
  `decode:                 ${median(tps).toFixed(1)} tokens/s (median; min ${
    Math.min(...tps).toFixed(1)
  }, max ${Math.max(...tps).toFixed(1)})`,
);
