/**
 * The worker lifecycle as a pure transition function.
 *
 *   starting ─listening─▶ loading ─ready─▶ idle ⇄ busy   (acquire / release a slot;
 *                                                          busy ─acquire─▶ busy while slots remain)
 *   any live state ─stop─▶ stopping ─exit─▶ stopped
 *   any live state ─exit / error─▶ failed ─restart─▶ starting   (restart_policy.ts decides)
 */
import type { WorkerState } from "../shared/contracts/worker.ts";

/** What can happen to a worker. */
export type WorkerEvent =
  | "listening"
  | "ready"
  | "acquire"
  | "release"
  | "stop"
  | "exit"
  | "error"
  | "restart";

const LIVE: readonly WorkerState[] = ["starting", "loading", "idle", "busy"];

/** The state after `event`, or null when the event is not allowed in `state`. */
export function nextWorkerState(state: WorkerState, event: WorkerEvent): WorkerState | null {
  switch (event) {
    case "listening":
      return state === "starting" ? "loading" : null;
    case "ready":
      return state === "loading" || state === "starting" ? "idle" : null;
    case "acquire":
      return state === "idle" || state === "busy" ? "busy" : null;
    case "release":
      return state === "busy" ? "idle" : null;
    case "stop":
      return LIVE.includes(state) ? "stopping" : null;
    case "exit":
      if (state === "stopping") return "stopped";
      return LIVE.includes(state) ? "failed" : null;
    case "error":
      return LIVE.includes(state) ? "failed" : null;
    case "restart":
      return state === "failed" ? "starting" : null;
  }
}
