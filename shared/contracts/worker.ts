/**
 * Contracts between the hive and its workers, and the worker views the hive
 * shows to the queen and the CLI.
 */
import { z } from "zod";
import { ModelDtype } from "./models.ts";

/** Execution providers a worker can run on; chosen by the user, never by fallback. */
export const Backend = z.enum(["cpu", "cuda", "webgpu"]);
/** An execution provider. */
export type Backend = z.infer<typeof Backend>;

/** A device index on a machine. */
export const DeviceIndex = z.number().int().min(0).max(63);

/**
 * Worker lifecycle:
 *
 *   starting ─▶ loading ─▶ idle ⇄ busy
 *      │           │        │      │
 *      └───────────┴────────┴──────┴─▶ stopping ─▶ stopped
 *      └───────────┴────────┴──────┴─────────────▶ failed
 */
export const WorkerState = z.enum(["starting", "loading", "idle", "busy", "stopping", "stopped", "failed"]);
/** A worker lifecycle state. */
export type WorkerState = z.infer<typeof WorkerState>;

/** Worker identifiers: short, printable, safe in URLs and logs. */
export const WorkerId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "Expected a worker id");

/** Asks a hive to start a worker for a model on a backend and device. */
export const SpawnWorkerRequest = z.object({
  model: z.string().min(1).max(512),
  backend: Backend.default("cpu"),
  device: DeviceIndex.default(0),
  /** Weight precision: which ONNX variant is pulled and loaded. */
  dtype: ModelDtype.default("fp32"),
});
/** Asks a hive to start a worker. */
export type SpawnWorkerRequest = z.infer<typeof SpawnWorkerRequest>;

/** What a hive knows about one of its workers. */
export const WorkerInfo = z.object({
  id: WorkerId,
  model: z.string(),
  backend: Backend,
  device: z.number().int(),
  /** The precision loaded (fp32 when absent). */
  dtype: ModelDtype.optional(),
  state: WorkerState,
  pid: z.number().int().nullable(),
  started_at: z.string(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
/** What a hive knows about one of its workers. */
export type WorkerInfo = z.infer<typeof WorkerInfo>;

/** The worker's call to its hive once the model is loaded. */
export const WorkerReady = z.object({ worker_id: WorkerId, url: z.url() });
/** The worker's call to its hive once the model is loaded. */
export type WorkerReady = z.infer<typeof WorkerReady>;

/** Asks a hive to make a model available locally. */
export const PullModelRequest = z.object({
  model: z.string().min(1).max(512),
  dtype: ModelDtype.default("fp32"),
});
/** Asks a hive to make a model available locally. */
export type PullModelRequest = z.infer<typeof PullModelRequest>;
