/**
 * The subset of OpenAI's Completions and Chat Completions requests rbee serves.
 * Unknown fields are accepted and ignored, as OpenAI-compatible servers do.
 */
import { z } from "zod";
import { Backend, DeviceIndex } from "./worker.ts";
import { ModelDtype } from "./models.ts";
import { KeepAlive, MAX_PROMPT_CHARS } from "./inference.ts";

const Stop = z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(8)]).nullish();

/** Fields shared by both endpoints, rbee's `backend`/`device`/`dtype`/`keep_alive` extensions included. */
const Common = z.object({
  model: z.string().min(1).max(512),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(0).max(100000).nullish(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  stop: Stop,
  n: z.literal(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  backend: Backend.optional(),
  device: DeviceIndex.optional(),
  dtype: ModelDtype.optional(),
  keep_alive: KeepAlive.optional(),
});

/** `POST /v1/completions` */
export const CompletionRequest = Common.extend({
  prompt: z.union([z.string().max(MAX_PROMPT_CHARS), z.array(z.string().max(MAX_PROMPT_CHARS)).length(1)]),
  max_tokens: z.number().int().min(1).max(32768).nullish(),
});
/** `POST /v1/completions` */
export type CompletionRequest = z.infer<typeof CompletionRequest>;

const TextPart = z.object({ type: z.literal("text"), text: z.string().max(MAX_PROMPT_CHARS) });

/** One chat message as OpenAI clients send it. */
export const OpenAiMessage = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string().max(MAX_PROMPT_CHARS), z.array(TextPart).max(64)]),
});

/** `POST /v1/chat/completions` */
export const ChatCompletionRequest = Common.extend({
  messages: z.array(OpenAiMessage).min(1).max(256),
  max_tokens: z.number().int().min(1).max(32768).nullish(),
  max_completion_tokens: z.number().int().min(1).max(32768).nullish(),
});
/** `POST /v1/chat/completions` */
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;
