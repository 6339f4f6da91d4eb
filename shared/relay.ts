/**
 * Relaying a streamed response from the next hop: bytes pass through as they
 * arrive; if the upstream breaks mid-stream the client gets an SSE `error`
 * event instead of a silent truncation; `onEnd` runs exactly once however the
 * stream ends (done, upstream failure, or the client going away).
 */
import { formatSse } from "./sse.ts";
import type { RbeeError } from "./errors.ts";

/** Passes `upstream` through, ending with an error event from `onBreak` if it fails. */
export function relayStream(
  upstream: ReadableStream<Uint8Array>,
  onEnd: () => void,
  onBreak: () => RbeeError,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          end();
          controller.close();
          return;
        }
        controller.enqueue(value);
      } catch {
        end();
        const err = onBreak();
        controller.enqueue(
          new TextEncoder().encode(formatSse("error", JSON.stringify(err.toEnvelope().error))),
        );
        controller.close();
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason).catch(() => {});
    },
  });
}
