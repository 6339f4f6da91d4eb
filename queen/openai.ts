/**
 * Translating between OpenAI's wire format and rbee's native inference
 * events. Pure: requests in, chunks and responses out.
 */
import type { ChatMessage, EndEvent, InferenceRequest, StopReason } from "../shared/contracts/inference.ts";
import type { ChatCompletionRequest, CompletionRequest } from "../shared/contracts/openai.ts";

/** Which OpenAI endpoint a response belongs to. */
export type OpenAiKind = "completion" | "chat";

/** OpenAI's default for a completion without `max_tokens` is 16; chats run to a generous default. */
const COMPLETION_DEFAULT_MAX_TOKENS = 16;
const CHAT_DEFAULT_MAX_TOKENS = 512;

function sampling(req: CompletionRequest | ChatCompletionRequest) {
  return {
    temperature: req.temperature ?? 1,
    top_p: req.top_p ?? 1,
    top_k: req.top_k ?? 0,
    seed: req.seed ?? undefined,
    stop: req.stop == null ? [] : typeof req.stop === "string" ? [req.stop] : req.stop,
  };
}

/** The native request for an OpenAI completion. */
export function completionToNative(req: CompletionRequest): InferenceRequest {
  return {
    ...sampling(req),
    prompt: typeof req.prompt === "string" ? req.prompt : req.prompt[0],
    max_tokens: req.max_tokens ?? COMPLETION_DEFAULT_MAX_TOKENS,
  };
}

/** The native request for an OpenAI chat completion (`developer` is treated as `system`). */
export function chatToNative(req: ChatCompletionRequest): InferenceRequest {
  const messages: ChatMessage[] = req.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
  }));
  return {
    ...sampling(req),
    messages,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? CHAT_DEFAULT_MAX_TOKENS,
  };
}

/** OpenAI's `finish_reason` for a native stop reason. */
export function finishReason(reason: StopReason): "stop" | "length" {
  return reason === "max_tokens" ? "length" : "stop";
}

/** OpenAI's `usage` object from the end event. */
export function usage(end: EndEvent) {
  return {
    prompt_tokens: end.tokens_in,
    completion_tokens: end.tokens_out,
    total_tokens: end.tokens_in + end.tokens_out,
  };
}

/** Identity of one response: id, creation time, model. */
export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

/** One streamed chunk carrying `text`, or the final one carrying `finish`. */
export function streamChunk(
  kind: OpenAiKind,
  meta: ResponseMeta,
  text: string | null,
  finish: string | null,
  first = false,
) {
  if (kind === "completion") {
    return {
      ...meta,
      object: "text_completion",
      choices: [{ index: 0, text: text ?? "", logprobs: null, finish_reason: finish }],
    };
  }
  const delta: Record<string, string> = {};
  if (first) delta.role = "assistant";
  if (text !== null) delta.content = text;
  return {
    ...meta,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The usage-only chunk sent last when `stream_options.include_usage` is set. */
export function usageChunk(kind: OpenAiKind, meta: ResponseMeta, end: EndEvent) {
  const object = kind === "completion" ? "text_completion" : "chat.completion.chunk";
  return { ...meta, object, choices: [], usage: usage(end) };
}

/** The whole (non-streamed) response. */
export function fullResponse(kind: OpenAiKind, meta: ResponseMeta, text: string, end: EndEvent) {
  const finish = finishReason(end.stop_reason);
  if (kind === "completion") {
    return {
      ...meta,
      object: "text_completion",
      choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
      usage: usage(end),
    };
  }
  return {
    ...meta,
    object: "chat.completion",
    choices: [{
      index: 0,
      message: { role: "assistant", content: text, refusal: null },
      logprobs: null,
      finish_reason: finish,
    }],
    usage: usage(end),
  };
}
