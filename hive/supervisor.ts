/**
 * The hive's workers: spawns each as a child process, follows its lifecycle
 * (worker_state.ts, worker_lifecycle.ts), watches it by PID and heartbeat,
 * restarts it when it dies unexpectedly as restart_policy.ts decides, stops it
 * (ask, SIGTERM, SIGKILL), and keeps a state file so that a restarted hive can
 * re-adopt or kill what its previous run left behind.
 */
import type { AuditLog } from "../shared/audit.ts";
import type { WorkerStatus } from "../shared/contracts/supervision.ts";
import { RbeeError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { type Breaker, breakerAllows, closedBreaker, recordSuccess } from "./breaker.ts";
import { every, probeWorkers } from "./heartbeat.ts";
import { DEFAULT_KEEP_ALIVE_MS, dueForUnload, unloadAt } from "./keep_alive.ts";
import { preflightSpawn } from "./preflight.ts";
import { DEFAULT_RESTART, type RestartConfig } from "./restart_policy.ts";
import { persistWorkers, recoverLeftovers } from "./state_file.ts";
import { attach, launch, type LifecycleContext, type WorkerLauncher } from "./worker_lifecycle.ts";
import {
  adoptedHandle,
  raceTimeout,
  type StopOutcome,
  stopProcessSteps,
  type WorkerEndpoint,
} from "./worker_process.ts";
import { tokensMatch } from "../shared/token.ts";
import * as R from "./worker_record.ts";
import { nextWorkerState, type WorkerEvent } from "./worker_state.ts";

export type { SpawnSpec } from "./worker_record.ts";
export type { WorkerLauncher } from "./worker_lifecycle.ts";

/** Options for {@link Supervisor}. */
export interface SupervisorOptions {
  launcher: WorkerLauncher;
  /** URL workers call back on when loaded. */
  hiveUrl: () => string;
  log: Logger;
  /** Longest wait for a worker to load its model before it is killed (LOADING_TIMEOUT; default 120 s). */
  loadingTimeoutMs?: number;
  /** After asking a worker to shut down: time for in-flight requests (default 5 s). */
  stopGraceMs?: number;
  /** After SIGTERM, before SIGKILL (default 3 s). */
  killAfterMs?: number;
  /** Cap on stopping every worker at hive shutdown (default 30 s). */
  shutdownCapMs?: number;
  /** Health-check period for running workers (default 2 s). */
  heartbeatMs?: number;
  restart?: Partial<RestartConfig>;
  /** Where to record worker PIDs for the next hive run (none when absent). */
  stateFile?: string;
  /** Requests a worker serves at once (default 1). */
  slots?: number;
  /** How long an idle worker stays loaded (default 5 minutes; 0 = unload after each request; negative = forever). */
  keepAliveMs?: number;
  /** Where worker events (spawn, stop, crash, restart, force-kill) are recorded, if auditing is on. */
  audit?: AuditLog | null;
  /** Refuses a spawn that cannot fit, before anything starts (default: preflight.ts). */
  preflight?: (spec: R.SpawnSpec) => Promise<void>;
  clock?: R.Clock;
  random?: () => number;
}

/** Owns every worker process the hive starts. */
export class Supervisor {
  readonly #workers = new Map<string, R.WorkerRecord>();
  readonly #breakers = new Map<string, Breaker>();
  readonly #ctx: LifecycleContext;
  #heartbeat: { stop(): void } | null = null;
  #closing = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.#ctx = {
      launcher: opts.launcher,
      hiveUrl: opts.hiveUrl,
      log: opts.log,
      audit: (event, rec, outcome, details) =>
        opts.audit?.record({
          event,
          actor: null,
          subject: rec.info.id,
          outcome,
          details: { model: rec.spec.model, ...details },
        }),
      clock: opts.clock ?? R.SYSTEM_CLOCK,
      random: opts.random ?? Math.random,
      restart: { ...DEFAULT_RESTART, ...opts.restart },
      loadingTimeoutMs: opts.loadingTimeoutMs ?? 120_000,
      stop: { graceMs: opts.stopGraceMs ?? 5000, killAfterMs: opts.killAfterMs ?? 3000 },
      workers: this.#workers,
      breakers: this.#breakers,
      closing: () => this.#closing,
      persist: () => this.#persist(),
    };
  }

  /** Every known worker, oldest first. */
  list(): WorkerStatus[] {
    return [...this.#workers.values()].map((w) => this.#view(w));
  }

  /** Where the worker serves and the token it expects, once it is serving; else null. */
  endpointOf(id: string): WorkerEndpoint | null {
    const rec = this.#workers.get(id);
    return rec?.url ? { url: rec.url, token: rec.token } : null;
  }

  /** True when `token` is the one this hive gave worker `id`. */
  isWorkerToken(id: string, token: string): boolean {
    const rec = this.#workers.get(id);
    return rec !== undefined && tokensMatch(token, rec.token);
  }

  /** The worker's public view, or throws WORKER_NOT_FOUND. */
  get(id: string): WorkerStatus {
    return this.#view(this.#record(id));
  }

  /**
   * Starts a worker and resolves once its model is loaded. A worker of the same
   * placement already starting or waiting to restart is awaited instead.
   */
  async spawn(spec: R.SpawnSpec): Promise<WorkerStatus> {
    const key = R.placementKey(spec);
    const now = this.#ctx.clock.now();
    const breaker = this.#breakers.get(key) ?? closedBreaker();
    if (!breakerAllows(breaker, now, this.#ctx.restart.breaker)) {
      throw R.circuitOpenError(spec.model, R.breakerView(breaker, now, this.#ctx.restart.breaker));
    }
    const same = [...this.#workers.values()].filter((w) => R.placementKey(w.spec) === key);
    const pending = same.find((w) =>
      w.restartTimer !== null || ["starting", "loading"].includes(w.info.state)
    );
    if (pending) {
      await pending.ready.promise;
      return this.#view(pending);
    }
    await (this.opts.preflight ?? preflightSpawn)(spec);
    for (const w of same) if (w.info.state === "failed") this.#workers.delete(w.info.id);
    const rec = R.newRecord(`w-${crypto.randomUUID().slice(0, 8)}`, spec, this.opts.slots ?? 1, now);
    rec.keepAliveMs = this.#keepAlive;
    this.#workers.set(rec.info.id, rec);
    this.#ensureHeartbeat();
    await launch(this.#ctx, rec);
    this.#ctx.audit("worker_spawn", rec, "success", { backend: spec.backend, device: spec.device });
    return this.#view(rec);
  }

  /** The worker reported that its model is loaded. */
  markReady(id: string): void {
    const rec = this.#record(id);
    if (!this.#apply(rec, "ready")) return;
    rec.everReady = true;
    rec.attempts = 0;
    rec.lastUsed = this.#ctx.clock.now();
    rec.info.last_heartbeat = new Date(this.#ctx.clock.now()).toISOString();
    const key = R.placementKey(rec.spec);
    this.#breakers.set(key, recordSuccess(this.#breakers.get(key) ?? closedBreaker()));
    rec.ready.resolve();
  }

  /** Takes one of the worker's slots; false when it is not serving or every slot is taken. */
  acquire(id: string): boolean {
    const rec = this.#record(id);
    if (rec.info.active >= rec.info.slots || !this.#apply(rec, "acquire")) return false;
    rec.info.active++;
    return true;
  }

  /** Gives a slot back; `keepAliveMs` (the request's keep_alive) replaces the worker's keep-alive. */
  release(id: string, keepAliveMs?: number): void {
    const rec = this.#workers.get(id);
    if (!rec || rec.info.active === 0) return;
    rec.info.active--;
    if (keepAliveMs !== undefined) rec.keepAliveMs = keepAliveMs;
    rec.lastUsed = this.#ctx.clock.now();
    if (rec.info.active === 0) this.#apply(rec, "release");
    if (rec.info.active === 0 && rec.keepAliveMs === 0) void this.#unload(rec);
  }

  /** Resets a placement's circuit breaker (operator action). */
  resetBreaker(p: { model: string; backend: string; device: number; dtype?: string }): void {
    this.#breakers.delete(R.placementKey(p));
    this.opts.log.info("Breaker reset by operator", {
      model: p.model,
      backend: p.backend,
      device: p.device,
      dtype: p.dtype ?? "fp32",
    });
  }

  /** Stops a worker: ask it, SIGTERM, then SIGKILL; cancels a scheduled restart. Null when no process ran. */
  async stop(id: string): Promise<StopOutcome | null> {
    const rec = this.#record(id);
    if (rec.restartTimer !== null) this.#ctx.clock.clearTimeout(rec.restartTimer);
    rec.restartTimer = null;
    delete rec.info.next_restart_at;
    const proc = rec.proc;
    const stoppable = this.#apply(rec, "stop");
    rec.ready.reject(new RbeeError("WORKER_START_FAILED", "Worker was stopped before it was ready"));
    let outcome: StopOutcome | null = null;
    if (stoppable && proc) {
      const log = this.opts.log.with({ worker_id: id });
      outcome = await stopProcessSteps(proc, this.endpointOf(rec.info.id), this.#ctx.stop, log);
      rec.info.last_exit = {
        ...outcome.exit,
        forced: outcome.forced,
        stderr_tail: proc.stderrTail().slice(-10),
      };
      if (outcome.forced) log.warn("Worker force-killed", { pid: proc.pid });
      else log.info("Worker stopped", { pid: proc.pid, code: outcome.exit.code });
      this.#ctx.audit(outcome.forced ? "worker_force_kill" : "worker_stop", rec, "success");
    }
    this.#apply(rec, "exit");
    this.#workers.delete(id);
    this.#persist();
    if (this.#workers.size === 0) this.#stopHeartbeat();
    return outcome;
  }

  /** Stops every worker in parallel, SIGKILLing whatever is left when the shutdown cap is reached. */
  async stopAll(): Promise<void> {
    this.#closing = true;
    const all = Promise.all([...this.#workers.keys()].map((id) => this.stop(id).catch(() => null)));
    const cap = this.opts.shutdownCapMs ?? 30_000;
    if (!(await raceTimeout(all, cap))) {
      this.opts.log.error("Shutdown cap reached; killing the remaining workers", { cap_ms: cap });
      for (const w of this.#workers.values()) w.proc?.kill("SIGKILL");
      await all;
    }
    this.#stopHeartbeat();
  }

  /** Re-adopts or kills the workers a previous hive run left (read from the state file). */
  async recover(): Promise<void> {
    if (!this.opts.stateFile) return;
    for (const entry of await recoverLeftovers(this.opts.stateFile, this.opts.log)) {
      const spec = {
        model: entry.model,
        modelDir: "",
        backend: entry.backend,
        device: entry.device,
        ...(entry.dtype && { dtype: entry.dtype }),
      };
      const rec = R.newRecord(
        entry.id,
        spec,
        // The worker keeps the slots it was launched with, whatever this hive's setting is now.
        entry.slots ?? this.opts.slots ?? 1,
        Date.parse(entry.started_at),
        entry.token,
      );
      rec.info.state = "idle";
      rec.info.adopted = true;
      rec.everReady = true;
      rec.keepAliveMs = this.#keepAlive;
      this.#workers.set(rec.info.id, rec);
      attach(this.#ctx, rec, adoptedHandle(entry.pid), entry.url!);
    }
    this.#persist();
    if (this.#workers.size) this.#ensureHeartbeat();
  }

  #record(id: string): R.WorkerRecord {
    const rec = this.#workers.get(id);
    if (!rec) throw new RbeeError("WORKER_NOT_FOUND", `No worker '${id}' on this hive`);
    return rec;
  }

  #view(rec: R.WorkerRecord): WorkerStatus {
    const b = this.#breakers.get(R.placementKey(rec.spec)) ?? closedBreaker();
    const breaker = R.breakerView(b, this.#ctx.clock.now(), this.#ctx.restart.breaker);
    const at = rec.info.state === "idle" ? unloadAt(rec.lastUsed, rec.keepAliveMs) : null;
    const view: WorkerStatus = structuredClone({ ...rec.info, breaker });
    if (at !== null) view.unload_at = new Date(at).toISOString();
    return view;
  }

  get #keepAlive(): number {
    return this.opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  }

  /** Stops idle workers whose keep-alive has passed. */
  #unloadIdle(): void {
    const now = this.#ctx.clock.now();
    for (const rec of this.#workers.values()) {
      if (rec.info.state === "idle" && dueForUnload(rec.lastUsed, rec.keepAliveMs, now)) {
        void this.#unload(rec);
      }
    }
  }

  async #unload(rec: R.WorkerRecord): Promise<void> {
    if (rec.info.state !== "idle" || this.#workers.get(rec.info.id) !== rec) return;
    this.opts.log.info("Unloading idle worker", { worker_id: rec.info.id, keep_alive_ms: rec.keepAliveMs });
    await this.stop(rec.info.id).catch(() => {});
  }

  #apply(rec: R.WorkerRecord, event: WorkerEvent): boolean {
    const next = nextWorkerState(rec.info.state, event);
    if (next === null) return false;
    rec.info.state = next;
    return true;
  }

  #persist(): void {
    if (!this.opts.stateFile) return;
    const rows = [...this.#workers.values()].map((w) => ({
      id: w.info.id,
      pid: w.proc ? w.info.pid : null,
      url: w.url,
      token: w.token,
      slots: w.info.slots,
      spec: w.spec,
      started_at: w.info.started_at,
    }));
    persistWorkers(this.opts.stateFile, rows, this.opts.log);
  }

  #ensureHeartbeat(): void {
    if (this.#heartbeat) return;
    const period = this.opts.heartbeatMs ?? 2000;
    const now = () => this.#ctx.clock.now();
    this.#heartbeat = every(
      period,
      async () => {
        this.#unloadIdle();
        await probeWorkers(this.#workers.values(), Math.min(period, 2000), now, this.opts.log);
      },
    );
  }

  #stopHeartbeat(): void {
    this.#heartbeat?.stop();
    this.#heartbeat = null;
  }
}
