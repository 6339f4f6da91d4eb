/**
 * `rbee infer` arguments → a native inference request. Pure.
 */
import { z } from "zod";
import { Backend, DeviceIndex } from "../shared/contracts/worker.ts";
import { SamplingParams } from "../shared/contracts/inference.ts";
import { ModelDtype } from "../shared/contracts/models.ts";
import { RbeeError } from "../shared/errors.ts";
import { parseFlags } from "../shared/flags.ts";
import { DEFAULT_MODEL, parseModelRef } from "../shared/model_ref.ts";
import { validate } from "../shared/validation.ts";

/** Usage text of `rbee infer`. */
export const INFER_USAGE = `rbee infer — generate text from a prompt, streamed as it is made

Usage: rbee infer [options] PROMPT

  --model REF         hf:<org>/<repo>[:<subfolder>][@<revision>] or file:<path>
                      (default ${DEFAULT_MODEL})
  --backend B         cpu | cuda | webgpu (default cpu; never falls back)
  --device N          device index (default 0)
  --dtype D           fp32 | fp16 | q8 | q4: which ONNX variant to pull and load (default fp32)
  --max-tokens N      most tokens to generate (default 256)
  --temperature T     0 = greedy (default 0.8)
  --top-p P           nucleus sampling (default 1)
  --top-k K           keep the K most likely tokens (default 0 = all)
  --seed S            same seed, same text
  --stop TEXT         stop before TEXT (repeatable)
  --token-file FILE   token for the queen (else RBEE_TOKEN_FILE or RBEE_TOKEN)

Tokens go to stdout; progress and a summary (tokens, time to first token,
tokens/s) go to stderr. Ctrl+C cancels and exits with code 130.
Uses the queen at RBEE_QUEEN_URL (default http://127.0.0.1:7833); when none
answers, starts one for this command and stops it afterwards.`;

/** A parsed `rbee infer` command. */
export const InferCommand = SamplingParams.extend({
  model: z.string(),
  backend: Backend,
  device: DeviceIndex,
  dtype: ModelDtype,
  prompt: z.string().max(256 * 1024),
  tokenFile: z.string().optional(),
});
/** A parsed `rbee infer` command. */
export type InferCommand = z.infer<typeof InferCommand>;

function num(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Parses `rbee infer` arguments (everything after `infer`). */
export function parseInferArgs(args: string[]): InferCommand {
  const { values, positionals } = parseFlags(args, {
    model: { type: "string" },
    backend: { type: "string" },
    device: { type: "string" },
    dtype: { type: "string" },
    "max-tokens": { type: "string" },
    temperature: { type: "string" },
    "top-p": { type: "string" },
    "top-k": { type: "string" },
    seed: { type: "string" },
    stop: { type: "string", multiple: true },
    "token-file": { type: "string" },
  }, true);
  if (positionals.length === 0) {
    throw new RbeeError("VALIDATION_ERROR", "A prompt is required: rbee infer PROMPT");
  }
  const model = (values.model as string | undefined) ?? DEFAULT_MODEL;
  parseModelRef(model);
  return validate(InferCommand, {
    model,
    backend: values.backend ?? "cpu",
    device: num(values.device) ?? 0,
    dtype: values.dtype ?? "fp32",
    prompt: positionals.join(" "),
    max_tokens: num(values["max-tokens"]),
    temperature: num(values.temperature),
    top_p: num(values["top-p"]),
    top_k: num(values["top-k"]),
    seed: num(values.seed),
    stop: values.stop,
    tokenFile: values["token-file"],
  }, "arguments");
}
