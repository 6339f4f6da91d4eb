/**
 * Runs one inference request across the cluster: waits its turn for the
 * placement, reuses an idle worker or has a hive pull the model and spawn one,
 * then relays the worker's events. Pure choices live in scheduler.ts.
 */
import { type InferenceRequest, type InferenceStreamEvent } from "../shared/contracts/inference.ts";
import type { Backend, WorkerInfo } from "../shared/contracts/worker.ts";
import { AsyncQueue } from "../shared/async_queue.ts";
import { RbeeError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import { readSse } from "../shared/sse.ts";
import type { HiveClient } from "./hive_client.ts";
import { KeyLock, type KeyLockOptions } from "./key_lock.ts";
import { type Placement, placementKey, schedule } from "./scheduler.ts";

/** An inference request as the queen routes it. */
export interface RoutedRequest {
  model: string;
  backend: Backend;
  device: number;
  params: InferenceRequest;
  /** Absolute deadline (epoch ms) every hop enforces, or null. */
  deadline?: number | null;
}

/** Routes requests to workers on the queen's hives. */
export class Router {
  readonly #lock: KeyLock;
  /** `queue`: slots per placement and how many requests may wait for one (default 1 and 32). */
  constructor(
    private readonly hives: () => HiveClient[],
    private readonly log: Logger,
    queue: KeyLockOptions = { slots: 1, maxWaiting: 32 },
  ) {
    this.#lock = new KeyLock(queue);
  }

  /**
   * The request's events as they happen. Errors before the worker's first
   * event surface as a rejected first `next()`, so callers can still answer
   * with a real HTTP status.
   */
  run(req: RoutedRequest, cid: string, signal: AbortSignal): AsyncIterable<InferenceStreamEvent> {
    const queue = new AsyncQueue<InferenceStreamEvent>();
    this.#run(req, cid, signal, (ev) => queue.push(ev)).then(() => queue.end(), (err) => queue.end(err));
    return queue;
  }

  async #run(req: RoutedRequest, cid: string, signal: AbortSignal, emit: (ev: InferenceStreamEvent) => void) {
    const placement: Placement = {
      model: formatModelRef(parseModelRef(req.model)),
      backend: req.backend,
      device: req.device,
    };
    const hive = this.hives()[0];
    if (!hive) throw new RbeeError("HIVE_UNAVAILABLE", "No hive is registered with this queen");
    const release = await this.#lock.acquire(placementKey(placement), signal);
    try {
      const worker = await this.#workerFor(hive, placement, signal, emit);
      const res = await hive.inference(worker.id, req.params, cid, signal, req.deadline ?? null);
      await relayEvents(res, emit);
    } finally {
      release();
    }
  }

  async #workerFor(
    hive: HiveClient,
    placement: Placement,
    signal: AbortSignal,
    emit: (ev: InferenceStreamEvent) => void,
  ): Promise<WorkerInfo> {
    const decision = schedule(await hive.listWorkers(signal), placement);
    if (decision.action === "reuse") return decision.worker;
    this.log.info("Starting a worker", { hive: hive.name, ...placement });
    await hive.pullModel(placement.model, (p) => emit({ event: "progress", data: p }), signal);
    return await hive.spawnWorker(placement, signal);
  }
}

async function relayEvents(res: Response, emit: (ev: InferenceStreamEvent) => void): Promise<void> {
  for await (const ev of readSse(res.body!)) {
    if (ev.data === "[DONE]") return;
    const data = JSON.parse(ev.data);
    if (ev.event === "error") {
      emit({ event: "error", data });
      return;
    }
    if (ev.event === "started" || ev.event === "token" || ev.event === "end") {
      emit({ event: ev.event, data } as InferenceStreamEvent);
    }
  }
}
