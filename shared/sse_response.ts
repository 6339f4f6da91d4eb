/**
 * Streaming a server-sent-events response whose producer stops when the
 * client goes away: the signal handed to the producer aborts on disconnect.
 */
import { formatSse, formatSseComment } from "./sse.ts";

/** Sends one event (JSON-encoded data) or a comment on an SSE stream. */
export interface SseSink {
  send(event: string | undefined, data: unknown): void;
  comment(text: string): void;
}

const encoder = new TextEncoder();

/**
 * A `text/event-stream` response fed by `produce`; the signal it gets aborts
 * when the client disconnects (see abort.ts for why not `request.signal`).
 */
export function sseResponse(
  produce: (sink: SseSink, signal: AbortSignal) => Promise<void>,
  headers: Record<string, string> = {},
): Response {
  const abort = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (text: string) => {
        if (abort.signal.aborted) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          abort.abort();
        }
      };
      const sink: SseSink = {
        send: (event, data) =>
          write(formatSse(event, typeof data === "string" ? data : JSON.stringify(data))),
        comment: (text) => write(formatSseComment(text)),
      };
      try {
        await produce(sink, abort.signal);
      } finally {
        try {
          controller.close();
        } catch {
          // already cancelled by the client
        }
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...headers,
    },
  });
}
