/**
 * Cancellation that follows the client across the whole request.
 *
 * Deno.serve aborts `request.signal` once a response has been returned, so a
 * streamed answer cannot rely on it: the request's signal is followed only
 * until the response is handed back (`detach`), and the stream's own
 * `cancel` (the client going away) aborts the work after that.
 */

/** An abort controller that follows a request's signal until detached. */
export interface RequestAbort {
  signal: AbortSignal;
  abort(): void;
  /** Stops following the request's signal (call when returning a streamed response). */
  detach(): void;
}

/** Creates a {@link RequestAbort} following `requestSignal`. */
export function followRequest(requestSignal: AbortSignal): RequestAbort {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  if (requestSignal.aborted) ctrl.abort();
  else requestSignal.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ctrl.signal,
    abort: () => ctrl.abort(),
    detach: () => requestSignal.removeEventListener("abort", onAbort),
  };
}
