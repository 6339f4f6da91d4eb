import { assertEquals } from "./testing.ts";
import { formatSse, formatSseComment, readSse } from "./sse.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

Deno.test("reads events split across chunks and skips comments", async () => {
  const text = formatSse("token", '{"text":"a"}') + formatSseComment("pulling 10%") +
    formatSse(undefined, "line1\nline2") + formatSse(undefined, "[DONE]");
  const chunks = [text.slice(0, 7), text.slice(7, 30), text.slice(30)];
  const events = [];
  for await (const ev of readSse(streamOf(chunks))) events.push(ev);
  assertEquals(events, [
    { event: "token", data: '{"text":"a"}' },
    { event: "message", data: "line1\nline2" },
    { event: "message", data: "[DONE]" },
  ]);
});
