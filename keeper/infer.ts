/**
 * `rbee infer`: streams a generation to stdout as tokens arrive, progress and
 * a summary to stderr; Ctrl+C cancels the request and exits with 130.
 */
import { EndEvent, PullProgressEvent, TokenEvent } from "../shared/contracts/inference.ts";
import { fromEnvelope, RbeeError } from "../shared/errors.ts";
import { readSse } from "../shared/sse.ts";
import { authHeaders } from "../shared/auth.ts";
import type { InferCommand } from "./infer_args.ts";
import { PullProgressView } from "./pull_progress_view.ts";

const encoder = new TextEncoder();

/** One-line summary printed after the text. */
export function summaryLine(end: EndEvent): string {
  return `${end.tokens_out} tokens, time to first token ${Math.round(end.time_to_first_token_ms)} ms, ` +
    `${end.decode_tokens_per_s.toFixed(1)} tokens/s (${end.stop_reason})`;
}

/** Runs the request against the queen at `url`; resolves with the end event. `out.wrote` tells if text was printed. */
export async function runInfer(
  url: string,
  token: string | null,
  cmd: InferCommand,
  signal: AbortSignal,
  out: { wrote: boolean } = { wrote: false },
): Promise<EndEvent> {
  const { prompt, tokenFile: _local, ...rest } = cmd;
  const res = await fetch(`${url}/v2/inference`, {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(token) },
    body: JSON.stringify({ ...rest, prompt }),
    signal,
  });
  if (!res.ok || !res.body) throw fromEnvelope(await res.json().catch(() => null), res.status);
  let end: EndEvent | null = null;
  // A model that is not there yet is pulled first; its progress goes to stderr.
  const pull = new PullProgressView("model: ");
  for await (const ev of readSse(res.body)) {
    if (ev.data === "[DONE]") break;
    const data = JSON.parse(ev.data);
    if (ev.event !== "progress") pull.end();
    if (ev.event === "token") {
      const { text } = TokenEvent.parse(data);
      if (text) out.wrote = true;
      await Deno.stdout.write(encoder.encode(text));
    } else if (ev.event === "progress") pull.show(PullProgressEvent.parse(data));
    else if (ev.event === "end") end = EndEvent.parse(data);
    else if (ev.event === "error") throw fromEnvelope({ error: data }, 502);
  }
  if (!end) throw new RbeeError("WORKER_CRASHED", "The stream ended before the answer was complete");
  return end;
}
