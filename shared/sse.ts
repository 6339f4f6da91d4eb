/**
 * Server-sent events: encoding one event, and reading a stream of them from a
 * `fetch` response body.
 */

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Encodes one event as SSE text (multi-line data becomes several `data:` lines). */
export function formatSse(event: string | undefined, data: string): string {
  const head = event ? `event: ${event}\n` : "";
  return head + data.split("\n").map((line) => `data: ${line}`).join("\n") + "\n\n";
}

/** Encodes an SSE comment line: ignored by parsers, keeps proxies and humans informed. */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/\n/g, " ")}\n\n`;
}

/** Parses an SSE byte stream into events; comment lines are skipped. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed = parseBlock(block);
        if (parsed) yield parsed;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}

function parseBlock(block: string): SseEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: data.join("\n") } : null;
}
