/**
 * The decode loop: prompt → tokens, one forward step per token over the KV
 * cache, sampling, incremental detokenization, stop sequences, cancellation.
 * It yields token events as they are made and returns the end figures.
 */
import type { EndEvent, InferenceRequest, StopReason, TokenEvent } from "../shared/contracts/inference.ts";
import { RbeeError } from "../shared/errors.ts";
import type { KvCache, LanguageModel } from "./model.ts";
import { createRng, sampleToken } from "./sampler.ts";
import { StopMatcher } from "./stop_sequences.ts";
import { TextDelta } from "./text_delta.ts";

/** Token ids of the request's prompt or chat. */
export function promptIds(model: LanguageModel, req: InferenceRequest): number[] {
  const ids = req.messages ? model.encodeChat(req.messages) : model.encode(req.prompt ?? "");
  if (ids.length >= model.contextLength) {
    throw new RbeeError(
      "VALIDATION_ERROR",
      `Prompt is ${ids.length} tokens; the model's context holds ${model.contextLength}`,
      { field: "prompt", rule: "context_length" },
    );
  }
  return ids;
}

/**
 * Generates from `ids`, yielding one event per token; returns the end event.
 * Stops within one token once `signal` aborts.
 */
export async function* generate(
  model: LanguageModel,
  ids: number[],
  req: InferenceRequest,
  signal: AbortSignal,
): AsyncGenerator<TokenEvent, EndEvent> {
  const start = performance.now();
  const maxNew = Math.min(req.max_tokens, model.contextLength - ids.length);
  const rng = createRng(req.seed ?? Math.floor(Math.random() * 2 ** 32));
  const delta = new TextDelta(model, ids[ids.length - 1]);
  const stops = new StopMatcher(req.stop);
  let cache: KvCache | null = null;
  let pending = ids;
  let past = 0;
  let firstTokenAt = 0;
  let count = 0;
  let reason: StopReason = "max_tokens";
  while (count < maxNew) {
    if (signal.aborted) {
      reason = "cancelled";
      break;
    }
    const step = await model.step(pending, past, cache);
    if (signal.aborted) {
      reason = "cancelled";
      break;
    }
    cache = step.cache;
    past += pending.length;
    const next = sampleToken(step.logits, req, rng);
    if (count === 0) firstTokenAt = performance.now();
    if (model.eosIds.has(next)) {
      reason = "eos";
      break;
    }
    const check = stops.push(delta.push(next));
    yield { index: count++, text: check.emit };
    if (check.stopped) {
      reason = "stop_sequence";
      break;
    }
    pending = [next];
  }
  const rest = reason === "stop_sequence" ? "" : stops.push(delta.flush()).emit + stops.flush();
  if (rest && count > 0) yield { index: count - 1, text: rest };
  return endFigures(ids.length, count, reason, start, firstTokenAt);
}

function endFigures(
  tokensIn: number,
  tokensOut: number,
  reason: StopReason,
  start: number,
  firstTokenAt: number,
): EndEvent {
  const end = performance.now();
  const decodeSeconds = (end - firstTokenAt) / 1000;
  return {
    tokens_in: tokensIn,
    tokens_out: tokensOut,
    stop_reason: reason,
    time_to_first_token_ms: firstTokenAt ? round(firstTokenAt - start) : 0,
    decode_tokens_per_s: tokensOut > 1 && decodeSeconds > 0 ? round((tokensOut - 1) / decodeSeconds) : 0,
    total_ms: round(end - start),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
