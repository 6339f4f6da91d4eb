/**
 * What a hive reports about the workers it supervises, beyond the basic
 * {@link WorkerInfo}: port, slots, restarts, heartbeats, the placement's
 * circuit breaker and how the last process ended.
 */
import { z } from "zod";
import { Backend, DeviceIndex, WorkerInfo } from "./worker.ts";
import { ModelDtype } from "./models.ts";

/** A placement's circuit breaker as shown to operators. */
export const BreakerView = z.object({
  state: z.enum(["closed", "open", "half_open"]),
  /** Failures counted in the breaker's window. */
  failures: z.number().int(),
  /** When an open breaker allows its next trial start. */
  retry_at: z.string().optional(),
});
/** A placement's circuit breaker as shown to operators. */
export type BreakerView = z.infer<typeof BreakerView>;

/** How a worker process ended. */
export const WorkerExit = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  /** Set when the hive had to SIGKILL it. */
  forced: z.boolean(),
  stderr_tail: z.array(z.string()),
});
/** How a worker process ended. */
export type WorkerExit = z.infer<typeof WorkerExit>;

/** One supervised worker. */
export const WorkerStatus = WorkerInfo.extend({
  port: z.number().int().nullable(),
  slots: z.number().int().min(1),
  active: z.number().int().min(0),
  restart_count: z.number().int().min(0),
  last_heartbeat: z.string().nullable(),
  breaker: BreakerView,
  /** Set while a restart is scheduled. */
  next_restart_at: z.string().optional(),
  last_exit: WorkerExit.optional(),
  /** When an idle worker will be unloaded (absent when busy or kept loaded). */
  unload_at: z.string().optional(),
  /** True for a worker left by a previous hive run and taken over by this one. */
  adopted: z.boolean().optional(),
});
/** One supervised worker. */
export type WorkerStatus = z.infer<typeof WorkerStatus>;

/** `GET /v1/workers` on a hive. */
export const WorkerStatusList = z.object({ workers: z.array(WorkerStatus) });
/** `GET /v1/workers` on a hive. */
export type WorkerStatusList = z.infer<typeof WorkerStatusList>;

/** Operator reset of a placement's breaker. */
export const ResetBreakerRequest = z.object({
  model: z.string().min(1).max(512),
  backend: Backend.default("cpu"),
  device: DeviceIndex.default(0),
  dtype: ModelDtype.default("fp32"),
});
/** Operator reset of a placement's breaker. */
export type ResetBreakerRequest = z.infer<typeof ResetBreakerRequest>;

/** One worker as the queen reports it: its hive's view, tagged with the hive's name. */
export const ClusterWorker = WorkerStatus.extend({ hive: z.string() });
/** One worker as the queen reports it. */
export type ClusterWorker = z.infer<typeof ClusterWorker>;

/** A hive that did not answer the queen, and why. */
export const UnreachableHive = z.object({
  hive: z.string(),
  error: z.object({ code: z.string(), message: z.string() }),
});
/** A hive that did not answer the queen. */
export type UnreachableHive = z.infer<typeof UnreachableHive>;

/** `GET /v2/workers` on the queen: every hive's workers, and the hives that did not answer. */
export const ClusterWorkerList = z.object({
  workers: z.array(ClusterWorker),
  unreachable: z.array(UnreachableHive),
});
/** `GET /v2/workers` on the queen. */
export type ClusterWorkerList = z.infer<typeof ClusterWorkerList>;

/** What stopping a worker did; the queen adds the hive it asked. */
export const StopWorkerResult = z.object({
  stopped: z.string(),
  /** True when the worker had to be SIGKILLed. */
  forced: z.boolean(),
  hive: z.string().optional(),
});
/** What stopping a worker did. */
export type StopWorkerResult = z.infer<typeof StopWorkerResult>;

/** `POST /v2/workers/reset-breaker` on the queen: a placement, on every hive or one. */
export const QueenResetBreakerRequest = ResetBreakerRequest.extend({ hive: z.string().max(64).optional() });
/** `POST /v2/workers/reset-breaker` on the queen. */
export type QueenResetBreakerRequest = z.infer<typeof QueenResetBreakerRequest>;
