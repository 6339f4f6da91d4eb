/**
 * The native inference contract: what a client asks a worker (through queen and
 * hive) to generate, and the events of the stream that comes back.
 */
import { z } from "zod";

/** Longest prompt accepted, in characters. */
export const MAX_PROMPT_CHARS = 256 * 1024;

/** One chat message. */
export const ChatMessage = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(MAX_PROMPT_CHARS),
});
/** One chat message. */
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Sampling and stopping parameters shared by every inference request. */
export const SamplingParams = z.object({
  max_tokens: z.number().int().min(1).max(32768).default(256),
  temperature: z.number().min(0).max(10).default(0.8),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(0).max(100000).default(0),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  stop: z.array(z.string().min(1).max(256)).max(8).default([]),
});
/** Sampling and stopping parameters. */
export type SamplingParams = z.infer<typeof SamplingParams>;

/**
 * How long the worker stays loaded after this request, Ollama-style: a duration
 * ("30s", "5m", "1h", "250ms", or a number of seconds), 0 = unload as soon as the
 * request ends, negative = keep loaded. The hive honours it; workers never see it.
 */
export const KeepAlive = z.union([
  z.number().min(-1e9).max(1e9),
  z.string().max(32).regex(
    /^\s*-?\d+(?:\.\d+)?(?:ms|s|m|h)?\s*$/,
    "Expected a duration such as 30s, 5m, 0 or -1",
  ),
]);
/** A per-request keep-alive. */
export type KeepAlive = z.infer<typeof KeepAlive>;

/** A request to a worker: a raw prompt or chat messages, plus sampling parameters. */
export const InferenceRequest = SamplingParams.extend({
  prompt: z.string().max(MAX_PROMPT_CHARS).optional(),
  messages: z.array(ChatMessage).min(1).max(256).optional(),
}).refine((r) => (r.prompt === undefined) !== (r.messages === undefined), {
  message: "Exactly one of 'prompt' and 'messages' is required",
});
/** A request to a worker. */
export type InferenceRequest = z.infer<typeof InferenceRequest>;

/** Why generation ended. */
export const StopReason = z.enum(["eos", "max_tokens", "stop_sequence", "cancelled", "error"]);
/** Why generation ended. */
export type StopReason = z.infer<typeof StopReason>;

/** First event of a stream: the request was accepted and generation starts. */
export const StartedEvent = z.object({ request_id: z.string(), model: z.string(), tokens_in: z.number() });
/** First event of a stream. */
export type StartedEvent = z.infer<typeof StartedEvent>;

/** One generated token's text (may be empty while a multi-byte character is incomplete). */
export const TokenEvent = z.object({ index: z.number().int(), text: z.string() });
/** One generated token. */
export type TokenEvent = z.infer<typeof TokenEvent>;

/** Last event of a successful stream, with its figures. */
export const EndEvent = z.object({
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  stop_reason: StopReason,
  time_to_first_token_ms: z.number(),
  decode_tokens_per_s: z.number(),
  total_ms: z.number(),
});
/** Last event of a successful stream. */
export type EndEvent = z.infer<typeof EndEvent>;

/** An error after the stream began; the stream ends after it. */
export const ErrorEvent = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** An error after the stream began. */
export type ErrorEvent = z.infer<typeof ErrorEvent>;

/** A model download step, relayed to a client waiting for inference on a model being pulled. */
export const PullProgressEvent = z.object({
  stage: z.enum(["resolving", "downloading", "verifying", "importing", "ready"]),
  file: z.string().optional(),
  bytes_done: z.number().optional(),
  bytes_total: z.number().optional(),
  /** Bytes done and to do over the whole pull (every file). */
  total_done: z.number().optional(),
  total_bytes: z.number().optional(),
  /** Recent speed in bytes/s, and seconds left at that speed. */
  speed_bps: z.number().optional(),
  eta_s: z.number().optional(),
  /** The hive pulling, when the queen relays several. */
  hive: z.string().optional(),
});
/** A model download step. */
export type PullProgressEvent = z.infer<typeof PullProgressEvent>;

/** Events of the native stream, by SSE event name. */
export type InferenceStreamEvent =
  | { event: "started"; data: StartedEvent }
  | { event: "token"; data: TokenEvent }
  | { event: "end"; data: EndEvent }
  | { event: "error"; data: ErrorEvent }
  | { event: "progress"; data: PullProgressEvent };
