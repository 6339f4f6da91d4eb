/**
 * Requests in progress on this queen, by request id, so that
 * `DELETE /v2/requests/{id}` can cancel one at every hop.
 */
import type { InferenceStreamEvent } from "../shared/contracts/inference.ts";

/** Cancellation handles of the requests in progress. */
export class InFlight {
  readonly #cancels = new Map<string, () => void>();

  /** Registers a request; returns the function that unregisters it. */
  add(id: string, cancel: () => void): () => void {
    this.#cancels.set(id, cancel);
    return () => {
      if (this.#cancels.get(id) === cancel) this.#cancels.delete(id);
    };
  }

  /** Cancels a request; false when no such request is in progress. */
  cancel(id: string): boolean {
    const cancel = this.#cancels.get(id);
    if (!cancel) return false;
    cancel();
    return true;
  }

  /** How many requests are in progress. */
  get size(): number {
    return this.#cancels.size;
  }
}

/** Wraps an event iterator so `onEnd` runs once when it finishes, fails or is abandoned. */
export function onIteratorEnd(
  it: AsyncIterator<InferenceStreamEvent>,
  onEnd: () => void,
): AsyncIterator<InferenceStreamEvent> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    async next() {
      try {
        const result = await it.next();
        if (result.done) end();
        return result;
      } catch (err) {
        end();
        throw err;
      }
    },
    async return(value?: unknown) {
      end();
      return (await it.return?.(value)) ?? { done: true, value: undefined };
    },
  };
}
