/**
 * The hive's workers: spawns each as a child process with the worker's
 * permission flags, follows its lifecycle (see worker_state.ts), waits for it
 * to be ready, hands out idle ones and stops them (SIGTERM, then SIGKILL).
 */
import type { Backend, WorkerInfo, WorkerState } from "../shared/contracts/worker.ts";
import { type DaemonChild, startDaemonChild } from "../shared/child.ts";
import { isErrorCode, RbeeError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { nextWorkerState, type WorkerEvent } from "./worker_state.ts";

/** What to start: a model already on disk, on a backend and device. */
export interface SpawnSpec {
  model: string;
  modelDir: string;
  backend: Backend;
  device: number;
}

/** How to launch a worker process (injectable so tests and compiled binaries differ). */
export type WorkerLauncher = (spec: SpawnSpec, workerId: string, hiveUrl: string) => {
  command: string;
  args: string[];
};

interface WorkerRecord {
  info: WorkerInfo;
  url: string | null;
  child: DaemonChild | null;
  ready: PromiseWithResolvers<void>;
}

/** Options for {@link Supervisor}. */
export interface SupervisorOptions {
  launcher: WorkerLauncher;
  /** URL workers call back on when loaded. */
  hiveUrl: () => string;
  log: Logger;
  /** Longest wait for a worker to load its model. */
  loadingTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period. */
  stopGraceMs?: number;
}

/** Owns every worker process the hive starts. */
export class Supervisor {
  readonly #workers = new Map<string, WorkerRecord>();
  constructor(private readonly opts: SupervisorOptions) {}

  /** Every known worker, newest last. */
  list(): WorkerInfo[] {
    return [...this.#workers.values()].map((w) => ({ ...w.info }));
  }

  /** The worker's loopback URL once it is serving, else null. */
  urlOf(id: string): string | null {
    return this.#workers.get(id)?.url ?? null;
  }

  /** The worker's public view, or throws WORKER_NOT_FOUND. */
  get(id: string): WorkerInfo {
    return { ...this.#record(id).info };
  }

  /** An idle worker for the model, backend and device, if any. */
  findIdle(model: string, backend: Backend, device: number): WorkerInfo | null {
    for (const w of this.#workers.values()) {
      const i = w.info;
      if (i.state === "idle" && i.model === model && i.backend === backend && i.device === device) {
        return { ...i };
      }
    }
    return null;
  }

  /** Starts a worker and resolves once its model is loaded. */
  async spawn(spec: SpawnSpec): Promise<WorkerInfo> {
    const id = `w-${crypto.randomUUID().slice(0, 8)}`;
    const rec: WorkerRecord = {
      info: {
        id,
        model: spec.model,
        backend: spec.backend,
        device: spec.device,
        state: "starting",
        pid: null,
        started_at: new Date().toISOString(),
      },
      url: null,
      child: null,
      ready: Promise.withResolvers<void>(),
    };
    rec.ready.promise.catch(() => {});
    this.#workers.set(id, rec);
    const log = this.opts.log.with({ worker_id: id });
    const { command, args } = this.opts.launcher(spec, id, this.opts.hiveUrl());
    try {
      rec.child = await startDaemonChild({
        command,
        args,
        name: `Worker ${id}`,
        forwardStderr: true,
        onStdoutLine: (line) => this.#onWorkerLine(rec, line),
      });
    } catch (err) {
      this.#fail(rec, rec.info.error ? null : startFailed(err));
      throw this.#errorOf(rec);
    }
    rec.info.pid = rec.child.pid;
    rec.url = rec.child.url;
    this.#apply(rec, "listening");
    log.info("Worker started", { pid: rec.child.pid, model: spec.model, backend: spec.backend });
    rec.child.exited.then((status) => this.#onExit(rec, status));
    await this.#awaitReady(rec);
    return { ...rec.info };
  }

  /** The worker reported that its model is loaded. */
  markReady(id: string): void {
    const rec = this.#record(id);
    if (this.#apply(rec, "ready")) rec.ready.resolve();
  }

  /** Marks an idle worker busy; false when it is not idle. */
  acquire(id: string): boolean {
    return this.#apply(this.#record(id), "acquire");
  }

  /** Marks a busy worker idle again. */
  release(id: string): void {
    const rec = this.#workers.get(id);
    if (rec) this.#apply(rec, "release");
  }

  /** Stops a worker: SIGTERM, then SIGKILL after the grace period. */
  async stop(id: string): Promise<void> {
    const rec = this.#record(id);
    if (!this.#apply(rec, "stop") || !rec.child) return;
    const grace = this.opts.stopGraceMs ?? 5000;
    const status = await rec.child.stop(grace);
    this.opts.log.info("Worker stopped", { worker_id: id, code: status.code, signal: status.signal });
    this.#workers.delete(id);
  }

  /** Stops every live worker in parallel. */
  async stopAll(): Promise<void> {
    const live = [...this.#workers.values()].filter((w) => w.child && w.info.state !== "stopped");
    await Promise.all(live.map((w) => this.stop(w.info.id).catch(() => {})));
  }

  #record(id: string): WorkerRecord {
    const rec = this.#workers.get(id);
    if (!rec) throw new RbeeError("WORKER_NOT_FOUND", `No worker '${id}' on this hive`);
    return rec;
  }

  #apply(rec: WorkerRecord, event: WorkerEvent): boolean {
    const next: WorkerState | null = nextWorkerState(rec.info.state, event);
    if (next === null) return false;
    rec.info.state = next;
    return true;
  }

  #onWorkerLine(rec: WorkerRecord, line: string): void {
    if (!line.startsWith('{"event":"failed"')) return;
    try {
      const { error } = JSON.parse(line);
      if (isErrorCode(error?.code)) rec.info.error = { code: error.code, message: String(error.message) };
    } catch {
      // not our line
    }
  }

  #onExit(rec: WorkerRecord, status: Deno.CommandStatus): void {
    if (rec.info.state === "stopping" || rec.info.state === "stopped") return;
    const why = rec.info.error ? null : new RbeeError(
      "WORKER_CRASHED",
      `Worker exited unexpectedly with code ${status.code}${status.signal ? ` (${status.signal})` : ""}`,
      { exit_code: status.code, signal: status.signal, stderr_tail: rec.child?.stderrTail().slice(-5) },
    );
    this.#fail(rec, why);
    this.opts.log.warn("Worker exited", { worker_id: rec.info.id, code: status.code, error: rec.info.error });
  }

  #fail(rec: WorkerRecord, err: RbeeError | null): void {
    if (err) rec.info.error = { code: err.code, message: err.message };
    this.#apply(rec, "exit");
    rec.info.state = "failed";
    rec.ready.reject(this.#errorOf(rec));
  }

  #errorOf(rec: WorkerRecord): RbeeError {
    const e = rec.info.error;
    if (e && isErrorCode(e.code)) return new RbeeError(e.code, e.message);
    return new RbeeError("WORKER_START_FAILED", "Worker failed to start");
  }

  async #awaitReady(rec: WorkerRecord): Promise<void> {
    const timeoutMs = this.opts.loadingTimeoutMs ?? 120_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RbeeError("WORKER_START_FAILED", "Worker did not load its model in time")),
        timeoutMs,
      );
    });
    try {
      await Promise.race([rec.ready.promise, timeout]);
    } catch (err) {
      if (rec.info.state !== "failed") await this.stop(rec.info.id).catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

function startFailed(err: unknown): RbeeError {
  return new RbeeError(
    "WORKER_START_FAILED",
    `Worker failed to start: ${(err as Error).message.split("\n")[0]}`,
  );
}
