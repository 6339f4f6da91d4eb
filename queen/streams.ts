/**
 * Answering a routed request: wait for its first event (so that an early
 * failure is still a real HTTP status), then stream the rest as SSE in the
 * native or the OpenAI format, or collect it whole.
 */
import type { EndEvent, InferenceStreamEvent } from "../shared/contracts/inference.ts";
import { progressLine } from "../shared/pull_progress_text.ts";
import { fromEnvelope, RbeeError, toRbeeError } from "../shared/errors.ts";
import { sseResponse } from "../shared/sse_response.ts";
import { type OpenAiKind, type ResponseMeta, streamChunk, usageChunk } from "./openai.ts";
import { finishReason } from "./openai.ts";

/** Events of one request, its first already awaited. */
export interface StartedStream {
  first: InferenceStreamEvent;
  rest: AsyncIterator<InferenceStreamEvent>;
}

/** Awaits the first event; rejects (with the routing error) if the request failed before it. */
export async function startStream(
  events: AsyncIterable<InferenceStreamEvent>,
): Promise<StartedStream | null> {
  const rest = events[Symbol.asyncIterator]();
  const first = await rest.next();
  if (first.done) return null;
  if (first.value.event === "error") throw fromEnvelope({ error: first.value.data }, 502);
  return { first: first.value, rest };
}

async function* all(stream: StartedStream): AsyncGenerator<InferenceStreamEvent> {
  yield stream.first;
  while (true) {
    const next = await stream.rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Drains a stream into `onEvent`; a failure becomes an `error` event.
 * Returns whether the stream ended in an error (which ends it without `[DONE]`).
 */
async function pump(
  stream: StartedStream,
  onEvent: (ev: InferenceStreamEvent) => void,
): Promise<boolean> {
  let failed = false;
  try {
    for await (const ev of all(stream)) {
      if (ev.event === "error") failed = true;
      onEvent(ev);
    }
  } catch (err) {
    failed = true;
    onEvent({ event: "error", data: toRbeeError(err).toEnvelope().error });
  }
  return failed;
}

/** The native SSE stream: progress, started, token…, end, `[DONE]` (or `error` and the end). */
export function nativeSse(stream: StartedStream, onClientGone: () => void): Response {
  return sseResponse(async (sink, sseSignal) => {
    sseSignal.addEventListener("abort", onClientGone, { once: true });
    const failed = await pump(stream, (ev) => sink.send(ev.event, ev.data));
    if (!failed) sink.send(undefined, "[DONE]");
  });
}

/** OpenAI's SSE stream: chunks, optional usage chunk, `data: [DONE]`; pull progress as comments. */
export function openAiSse(
  kind: OpenAiKind,
  meta: ResponseMeta,
  includeUsage: boolean,
  stream: StartedStream,
  onClientGone: () => void,
): Response {
  return sseResponse(async (sink, sseSignal) => {
    sseSignal.addEventListener("abort", onClientGone, { once: true });
    let first = true;
    const failed = await pump(stream, (ev) => {
      // OpenAI clients ignore comments; a person reading the stream sees the pull advance.
      if (ev.event === "progress") sink.comment(`model ${progressLine(ev.data)}`);
      else if (ev.event === "token" && ev.data.text) {
        sink.send(undefined, streamChunk(kind, meta, ev.data.text, null, first));
        first = false;
      } else if (ev.event === "end") {
        sink.send(
          undefined,
          streamChunk(
            kind,
            meta,
            first && kind === "chat" ? "" : null,
            finishReason(ev.data.stop_reason),
            first,
          ),
        );
        if (includeUsage) sink.send(undefined, usageChunk(kind, meta, ev.data));
      } else if (ev.event === "error") sink.send(undefined, { error: ev.data });
    });
    if (!failed) sink.send(undefined, "[DONE]");
  });
}

/** Collects a whole answer: its text and end figures; an error event becomes a thrown error. */
export async function collect(stream: StartedStream): Promise<{ text: string; end: EndEvent }> {
  let text = "";
  for await (const ev of all(stream)) {
    if (ev.event === "token") text += ev.data.text;
    else if (ev.event === "error") throw fromEnvelope({ error: ev.data }, 502);
    else if (ev.event === "end") return { text, end: ev.data };
  }
  throw new RbeeError("WORKER_CRASHED", "The stream ended without a final event");
}
