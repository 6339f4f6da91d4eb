import { assertEquals } from "../shared/testing.ts";
import { chatToNative, completionToNative, finishReason, fullResponse, streamChunk } from "./openai.ts";

const end = {
  tokens_in: 5,
  tokens_out: 3,
  stop_reason: "max_tokens" as const,
  time_to_first_token_ms: 1,
  decode_tokens_per_s: 100,
  total_ms: 3,
};
const meta = { id: "cmpl-1", created: 1, model: "m" };

Deno.test("a completion maps OpenAI defaults and a single stop string", () => {
  assertEquals(completionToNative({ model: "m", prompt: ["Hi"], stop: "\n" }), {
    temperature: 1,
    top_p: 1,
    top_k: 0,
    seed: undefined,
    stop: ["\n"],
    prompt: "Hi",
    max_tokens: 16,
  });
});

Deno.test("a chat joins text parts and treats developer as system", () => {
  const native = chatToNative({
    model: "m",
    messages: [{ role: "developer", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }],
    max_completion_tokens: 7,
  });
  assertEquals(native.messages, [{ role: "system", content: "ab" }]);
  assertEquals(native.max_tokens, 7);
});

Deno.test("finish reasons and response shapes follow OpenAI", () => {
  assertEquals(finishReason("eos"), "stop");
  assertEquals(finishReason("stop_sequence"), "stop");
  assertEquals(finishReason("max_tokens"), "length");
  const chat = fullResponse("chat", meta, "hey", end);
  assertEquals(chat.object, "chat.completion");
  assertEquals(chat.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  const chunk = streamChunk("chat", meta, "x", null, true).choices[0] as { delta: unknown };
  assertEquals(chunk.delta, { role: "assistant", content: "x" });
  assertEquals(streamChunk("completion", meta, null, "stop").choices[0], {
    index: 0,
    text: "",
    logprobs: null,
    finish_reason: "stop",
  });
});
