/**
 * A persistent queen with its local hive and real workers, driven over HTTP:
 * streaming, cancellation, sampling and the OpenAI API through the official
 * `openai` client.
 */
import OpenAI from "openai";
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { readSse } from "../shared/sse.ts";
import { REFERENCE_STORY, waitForLog, withQueen } from "./support/cluster.ts";

const MODEL = "hf:karpathy/tinyllamas:stories260K";

function infer(url: string, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${url}/v2/inference`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, ...body }),
    signal,
  });
}

Deno.test("tokens stream as they are generated, and a disconnect stops the worker", async () => {
  await withQueen(async (queen) => {
    // Warm up: pull the model and start the worker.
    await (await infer(queen.url, { prompt: "Once", max_tokens: 1 })).body?.cancel();

    const res = await infer(queen.url, {
      prompt: "Once upon a time",
      temperature: 0.8,
      seed: 1,
      max_tokens: 400,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let chunksWithTokens = 0, tokens = 0;
    while (tokens < 40) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended after ${tokens} tokens`);
      const n = decoder.decode(value).split("event: token").length - 1;
      if (n > 0) chunksWithTokens++;
      tokens += n;
    }
    // A buffered answer would arrive in one piece; a stream arrives token by token.
    assertTrue(chunksWithTokens >= 10, `tokens arrived in only ${chunksWithTokens} chunks`);
    await reader.cancel();

    const finished = await waitForLog(queen, /"msg":"Inference finished".*"stop_reason":"cancelled"/);
    const tokensOut = JSON.parse(finished).tokens_out;
    assertTrue(
      tokensOut < 400 && tokensOut <= tokens + 20,
      `worker made ${tokensOut} tokens after ${tokens} were read`,
    );
  });
});

Deno.test("the native stream: started, tokens, end with figures, [DONE]; seeds repeat", async () => {
  await withQueen(async (queen) => {
    const collect = async (body: Record<string, unknown>) => {
      const events: { event: string; data: string }[] = [];
      for await (const ev of readSse((await infer(queen.url, body)).body!)) events.push(ev);
      return events;
    };
    const events = await collect({ prompt: "Once upon a time", temperature: 0, max_tokens: 30 });
    const names = events.map((e) => e.event).filter((e) => e !== "progress");
    assertEquals(names[0], "started");
    assertEquals(names.filter((n) => n === "token").length, 30);
    assertEquals(events.at(-1)?.data, "[DONE]");
    const end = JSON.parse(events.at(-2)!.data);
    assertEquals([end.tokens_out, end.stop_reason, end.tokens_in], [30, "max_tokens", 5]);
    assertTrue(end.time_to_first_token_ms > 0 && end.decode_tokens_per_s > 0);
    const text = events.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
    assertTrue(text.startsWith(REFERENCE_STORY), text);

    const sample = async (seed: number) =>
      (await collect({ prompt: "Once upon a time", temperature: 1, seed, max_tokens: 40 }))
        .filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
    const a = await sample(42);
    assertEquals(await sample(42), a);
    assertTrue((await sample(43)) !== a, "different seeds gave the same text");

    const stopped = await collect({
      prompt: "Once upon a time",
      temperature: 0,
      max_tokens: 40,
      stop: ["Lily"],
    });
    const stoppedText = stopped.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join(
      "",
    );
    assertEquals(stoppedText, ", there was a little girl named ");
    assertEquals(JSON.parse(stopped.at(-2)!.data).stop_reason, "stop_sequence");

    const bad = await infer(queen.url, { prompt: "x", temperature: -1 });
    assertEquals(bad.status, 400);
    const body = await bad.json();
    assertEquals(body.error.code, "VALIDATION_ERROR");
    assertEquals(body.error.details.issues[0].field, "temperature");
  });
});

Deno.test("the official openai client: completions, streamed chat, models", async () => {
  await withQueen(async (queen) => {
    const client = new OpenAI({ baseURL: `${queen.url}/v1`, apiKey: "unused-on-loopback" });
    const completion = await client.completions.create({
      model: MODEL,
      prompt: "Once upon a time",
      max_tokens: 30,
      temperature: 0,
    });
    assertTrue(completion.choices[0].text.startsWith(REFERENCE_STORY), completion.choices[0].text);
    assertEquals(completion.choices[0].finish_reason, "length");
    assertEquals(completion.usage, { prompt_tokens: 5, completion_tokens: 30, total_tokens: 35 });

    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 30,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "", chunks = 0, finish = null, usage = null;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assertTrue(text.startsWith(REFERENCE_STORY), text);
    assertTrue(chunks > 10, `only ${chunks} chunks`);
    assertEquals(finish, "length");
    assertEquals(usage?.completion_tokens, 30);

    const models = await client.models.list();
    assertTrue(models.data.some((m) => m.id === `${MODEL}@main`), JSON.stringify(models.data));

    const err = await client.completions.create({ model: "hf:karpathy/missing", prompt: "x" }).catch((e) =>
      e
    );
    assertTrue(err instanceof OpenAI.APIError, String(err));
    assertEquals([err.status, (err.error as { code: string }).code], [404, "MODEL_NOT_FOUND"]);
  });
});

Deno.test("an OpenAI stream that waits for a pull shows its progress as comment lines, then the answer", async () => {
  await withQueen(async (queen) => {
    // A fresh home: the model is not there, so this request pulls it first.
    const res = await fetch(`${queen.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        messages: [{ role: "user", content: "Once" }],
        stream: true,
        max_tokens: 5,
      }),
    });
    const lines = (await res.text()).split("\n").filter((l) => l !== "");
    const comments = lines.filter((l) => l.startsWith(":"));
    assertTrue(
      comments.some((l) => /^: model downloading \S+ \d+% [\d.]+ \S?B \/ 1\.1 MB/.test(l)),
      comments.join("\n"),
    );
    assertTrue(comments.some((l) => l === ": model ready"), comments.join("\n"));
    // Comments come first; then OpenAI's chunks and [DONE], which the official client reads.
    const firstData = lines.findIndex((l) => l.startsWith("data: "));
    assertTrue(
      firstData > 0 && lines.slice(firstData).every((l) => l.startsWith("data: ")),
      lines.join("\n"),
    );
    assertEquals(lines.at(-1), "data: [DONE]");
  });
});
