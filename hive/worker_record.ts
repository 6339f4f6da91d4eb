/**
 * The supervisor's bookkeeping for one worker, and the small pure helpers
 * around it: its public view, its errors, and the hive's timing settings.
 */
import type { Backend } from "../shared/contracts/worker.ts";
import type { ModelDtype } from "../shared/contracts/models.ts";
import type { BreakerView, WorkerExit, WorkerStatus } from "../shared/contracts/supervision.ts";
import { isErrorCode, RbeeError } from "../shared/errors.ts";
import { type Breaker, breakerAt, type BreakerConfig } from "./breaker.ts";
import type { ExitStatus, ProcessHandle } from "./worker_process.ts";
import { generateToken } from "../shared/token.ts";

/** What to start: a model already on disk, on a backend and device. */
export interface SpawnSpec {
  model: string;
  modelDir: string;
  backend: Backend;
  device: number;
  /** The precision of the folder's ONNX variant (fp32 when absent). */
  dtype?: ModelDtype;
}

/** The supervisor's record of one worker (one id, across restarts). */
export interface WorkerRecord {
  /** The public view, less the breaker (which belongs to the placement). */
  info: Omit<WorkerStatus, "breaker">;
  spec: SpawnSpec;
  url: string | null;
  /** The worker's own token: the hive sends it, the worker presents it when it reports ready. */
  token: string;
  proc: ProcessHandle | null;
  /** Settles when the current start attempt is ready or has failed. */
  ready: PromiseWithResolvers<void>;
  /** Restarts tried since the worker was last ready. */
  attempts: number;
  everReady: boolean;
  restartTimer: TimerId | null;
  heartbeatMisses: number;
  /** When the worker last became idle (ms); with `keepAliveMs`, when it is unloaded. */
  lastUsed: number;
  /** How long it stays loaded once idle; negative = forever (keep_alive.ts). */
  keepAliveMs: number;
}

/** Time as the supervisor sees it; injectable so tests control it. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** A timer handle. */
export type TimerId = ReturnType<typeof setTimeout>;

/** A new readiness promise, already handled so that a rejection nobody awaits is not fatal. */
export function freshReady(): PromiseWithResolvers<void> {
  const ready = Promise.withResolvers<void>();
  ready.promise.catch(() => {});
  return ready;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/** Rejects with WORKER_CIRCUIT_OPEN for a placement whose breaker is open. */
export function circuitOpenError(model: string, view: BreakerView): RbeeError {
  return new RbeeError(
    "WORKER_CIRCUIT_OPEN",
    `Not starting '${model}': it failed ${view.failures} times recently; retry after ${view.retry_at} or reset its breaker`,
    { failures: view.failures, retry_at: view.retry_at },
  );
}

/** A key naming one placement (model, backend, device). */
export function placementKey(p: { model: string; backend: string; device: number; dtype?: string }): string {
  // fp32 writes no suffix, so keys (and breakers) of models pulled before precisions existed stay the same.
  const dtype = p.dtype && p.dtype !== "fp32" ? `|${p.dtype}` : "";
  return `${p.model}|${p.backend}|${p.device}${dtype}`;
}

/** A fresh record for `spec`, not started yet. */
export function newRecord(
  id: string,
  spec: SpawnSpec,
  slots: number,
  now: number,
  token = generateToken(),
): WorkerRecord {
  const ready = freshReady();
  return {
    info: {
      id,
      model: spec.model,
      backend: spec.backend,
      device: spec.device,
      ...(spec.dtype && { dtype: spec.dtype }),
      state: "starting",
      pid: null,
      port: null,
      started_at: new Date(now).toISOString(),
      slots,
      active: 0,
      restart_count: 0,
      last_heartbeat: null,
    },
    spec,
    url: null,
    token,
    proc: null,
    ready,
    attempts: 0,
    everReady: false,
    restartTimer: null,
    heartbeatMisses: 0,
    lastUsed: now,
    keepAliveMs: -1,
  };
}

/** A breaker as operators see it at `now`. */
export function breakerView(b: Breaker, now: number, cfg: BreakerConfig): BreakerView {
  const seen = breakerAt(b, now, cfg);
  const failures = seen.failures.filter((t) => now - t < cfg.windowMs).length;
  if (seen.state !== "open") return { state: seen.state, failures };
  return { state: "open", failures, retry_at: new Date(seen.openedAt + cfg.cooldownMs).toISOString() };
}

/** The error a record's failure reports (its recorded one, else a generic start failure). */
export function errorOf(rec: WorkerRecord): RbeeError {
  const e = rec.info.error;
  if (e && isErrorCode(e.code)) return new RbeeError(e.code, e.message);
  return new RbeeError("WORKER_START_FAILED", "Worker failed to start");
}

/** WORKER_CRASHED with the exit code and the last lines of stderr. */
export function crashedError(exit: ExitStatus, stderrTail: string[]): RbeeError {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  return new RbeeError("WORKER_CRASHED", `Worker exited unexpectedly with ${how}`, {
    exit_code: exit.code,
    signal: exit.signal,
    stderr_tail: stderrTail.slice(-5),
  });
}

/** WORKER_START_FAILED from a launch error (first line only: the rest is the child's stderr). */
export function startFailed(err: unknown): RbeeError {
  const first = (err as Error).message.split("\n")[0].replace(/^Worker \S+ /, "").replace(/:$/, "");
  return new RbeeError("WORKER_START_FAILED", `Worker failed to start: ${first}`);
}

/** How a worker that died before listening ended, read from the launch error, when it says. */
export function exitFromStartError(err: unknown): WorkerExit | undefined {
  const [first, ...tail] = (err as Error).message.split("\n");
  const m = first.match(/exited with code (\d+)/);
  return m ? { code: Number(m[1]), signal: null, forced: false, stderr_tail: tail.slice(-10) } : undefined;
}

/** Reads a worker's `{"event":"failed","error":…}` stdout line, else null. */
export function parseFailedLine(line: string): { code: string; message: string } | null {
  if (!line.startsWith('{"event":"failed"')) return null;
  try {
    const { error } = JSON.parse(line);
    return isErrorCode(error?.code) ? { code: error.code, message: String(error.message) } : null;
  } catch {
    return null;
  }
}
