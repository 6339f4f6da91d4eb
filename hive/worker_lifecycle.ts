/**
 * One worker's life inside the supervisor: a start attempt (launch, listening
 * line, ready call or LOADING_TIMEOUT), noticing its exit, and restarting it as
 * restart_policy.ts decides. The supervisor owns the maps; these functions act
 * on them through {@link LifecycleContext}.
 */
import { type DaemonChild, startDaemonChild } from "../shared/child.ts";
import { RbeeError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { type Breaker, closedBreaker, recordFailure } from "./breaker.ts";
import { planRestart, type RestartConfig } from "./restart_policy.ts";
import { childHandle, type ExitStatus, type ProcessHandle, stopProcessSteps } from "./worker_process.ts";
import * as R from "./worker_record.ts";
import { nextWorkerState } from "./worker_state.ts";

/** How to launch a worker process (injectable so tests and compiled binaries differ). */
export type WorkerLauncher = (spec: R.SpawnSpec, workerId: string, hiveUrl: string) => {
  command: string;
  args: string[];
};

/**
 * A worker's environment: its own token, and none of the hive's secrets
 * (its token, the hub token) — a worker never needs them.
 */
export function workerEnv(token: string): Record<string, string> {
  return {
    RBEE_WORKER_TOKEN: token,
    RBEE_TOKEN: "",
    RBEE_TOKEN_FILE: "",
    HF_TOKEN: "",
    CREDENTIALS_DIRECTORY: "",
  };
}

/** What the lifecycle functions need from the supervisor. */
export interface LifecycleContext {
  launcher: WorkerLauncher;
  hiveUrl: () => string;
  log: Logger;
  /** Records a worker event in the audit log (no-op when auditing is off). */
  audit: (
    event: string,
    rec: R.WorkerRecord,
    outcome: "success" | "failure",
    details?: Record<string, unknown>,
  ) => void;
  clock: R.Clock;
  random: () => number;
  restart: RestartConfig;
  loadingTimeoutMs: number;
  stop: { graceMs: number; killAfterMs: number };
  workers: Map<string, R.WorkerRecord>;
  breakers: Map<string, Breaker>;
  closing(): boolean;
  persist(): void;
}

/** One start attempt: launch, wait for the listening line, then for the ready call. */
export async function launch(ctx: LifecycleContext, rec: R.WorkerRecord): Promise<void> {
  // rec.ready was made fresh by newRecord or scheduleRestart: callers may already be waiting on it.
  Object.assign(rec.info, { state: "starting", pid: null, port: null, active: 0 });
  rec.info.started_at = new Date(ctx.clock.now()).toISOString();
  delete rec.info.error;
  const { command, args } = ctx.launcher(rec.spec, rec.info.id, ctx.hiveUrl());
  let child: DaemonChild;
  try {
    child = await startDaemonChild({
      command,
      args,
      env: workerEnv(rec.token),
      name: `Worker ${rec.info.id}`,
      forwardStderr: true,
      readyTimeoutMs: ctx.loadingTimeoutMs,
      onStdoutLine: (line) => {
        const failed = R.parseFailedLine(line);
        if (failed) rec.info.error = failed;
      },
    });
  } catch (err) {
    rec.info.last_exit = R.exitFromStartError(err) ?? rec.info.last_exit;
    if (rec.info.state === "starting") failed(ctx, rec, rec.info.error ? null : R.startFailed(err));
    throw R.errorOf(rec);
  }
  if (rec.info.state !== "starting") {
    await child.stop(ctx.stop.killAfterMs);
    throw new RbeeError("WORKER_START_FAILED", "Worker was stopped before it was ready");
  }
  attach(ctx, rec, childHandle(child), child.url);
  rec.info.state = nextWorkerState(rec.info.state, "listening") ?? rec.info.state;
  ctx.log.info("Worker started", { worker_id: rec.info.id, pid: child.pid, model: rec.spec.model });
  const timer = ctx.clock.setTimeout(() => void loadingTimedOut(ctx, rec), ctx.loadingTimeoutMs);
  try {
    await rec.ready.promise;
  } finally {
    ctx.clock.clearTimeout(timer);
  }
}

/** Binds a running process to the record and watches for its exit. */
export function attach(ctx: LifecycleContext, rec: R.WorkerRecord, proc: ProcessHandle, url: string): void {
  rec.proc = proc;
  rec.url = url;
  rec.info.pid = proc.pid;
  rec.info.port = Number(new URL(url).port);
  proc.exited.then((exit) => onExit(ctx, rec, proc, exit));
  ctx.persist();
}

async function loadingTimedOut(ctx: LifecycleContext, rec: R.WorkerRecord): Promise<void> {
  const proc = rec.proc;
  if (rec.info.state !== "loading" || !proc) return;
  const ms = ctx.loadingTimeoutMs;
  const err = new RbeeError("LOADING_TIMEOUT", `Worker did not load its model within ${ms} ms`);
  rec.info.error = { code: err.code, message: err.message };
  rec.info.state = "stopping";
  const log = ctx.log.with({ worker_id: rec.info.id });
  log.warn("Worker stuck loading; killing it", { pid: proc.pid, timeout_ms: ms });
  const { exit, forced } = await stopProcessSteps(proc, null, { ...ctx.stop, graceMs: 0 }, log);
  rec.info.last_exit = { ...exit, forced, stderr_tail: proc.stderrTail().slice(-10) };
  if (ctx.workers.get(rec.info.id) === rec) failed(ctx, rec, null);
}

function onExit(ctx: LifecycleContext, rec: R.WorkerRecord, proc: ProcessHandle, exit: ExitStatus): void {
  if (rec.proc !== proc) return;
  rec.proc = null;
  rec.url = null;
  rec.info.pid = null;
  rec.info.last_exit = { ...exit, forced: false, stderr_tail: proc.stderrTail().slice(-10) };
  ctx.persist();
  if (rec.info.state === "stopping" || rec.info.state === "stopped") return;
  failed(ctx, rec, rec.info.error ? null : R.crashedError(exit, proc.stderrTail()));
}

function failed(ctx: LifecycleContext, rec: R.WorkerRecord, err: RbeeError | null): void {
  if (err) rec.info.error = { code: err.code, message: err.message };
  rec.info.state = "failed";
  rec.info.active = 0;
  rec.ready.reject(R.errorOf(rec));
  ctx.log.warn("Worker failed", { worker_id: rec.info.id, error: rec.info.error, exit: rec.info.last_exit });
  ctx.audit(rec.everReady ? "worker_crash" : "worker_spawn", rec, "failure", { code: rec.info.error?.code });
  scheduleRestart(ctx, rec);
}

/** Restarts a worker that was serving (or being restarted); a first start's failure only counts. */
function scheduleRestart(ctx: LifecycleContext, rec: R.WorkerRecord): void {
  const key = R.placementKey(rec.spec);
  const now = ctx.clock.now();
  const before = ctx.breakers.get(key) ?? closedBreaker();
  if (ctx.closing() || (!rec.everReady && rec.attempts === 0)) {
    ctx.breakers.set(key, recordFailure(before, now, ctx.restart.breaker));
    return;
  }
  const plan = planRestart({ attempts: rec.attempts, breaker: before, now }, ctx.restart, ctx.random);
  ctx.breakers.set(key, plan.breaker);
  const log = ctx.log.with({ worker_id: rec.info.id, model: rec.spec.model });
  if (plan.decision.action === "give_up") {
    log.error("Not restarting worker", { reason: plan.decision.reason, restarts: rec.info.restart_count });
    return;
  }
  const { attempt, delayMs } = plan.decision;
  rec.attempts = attempt;
  rec.info.next_restart_at = new Date(now + delayMs).toISOString();
  rec.ready = R.freshReady();
  log.info("Restarting worker", { attempt, delay_ms: delayMs });
  ctx.audit("worker_restart", rec, "success", { attempt, delay_ms: delayMs });
  rec.restartTimer = ctx.clock.setTimeout(() => {
    rec.restartTimer = null;
    delete rec.info.next_restart_at;
    rec.info.restart_count++;
    rec.info.state = nextWorkerState(rec.info.state, "restart") ?? rec.info.state;
    launch(ctx, rec).catch(() => {});
  }, delayMs);
}
