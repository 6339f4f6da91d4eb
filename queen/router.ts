/**
 * Runs one inference request across the cluster: waits its turn for the
 * placement, reuses an idle worker or has a hive pull the model and spawn one,
 * then relays the worker's events. Pure choices live in scheduler.ts.
 */
import type { InferenceRequest, InferenceStreamEvent, KeepAlive } from "../shared/contracts/inference.ts";
import type { Backend } from "../shared/contracts/worker.ts";
import type { ModelDtype } from "../shared/contracts/models.ts";
import type { WorkerStatus } from "../shared/contracts/supervision.ts";
import { AsyncQueue } from "../shared/async_queue.ts";
import { RbeeError } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import { readSse } from "../shared/sse.ts";
import type { HiveClient } from "./hive_client.ts";
import { KeyLock, type KeyLockOptions } from "./key_lock.ts";
import { type Placement, placementKey, placementSlots, schedule } from "./scheduler.ts";

/** An inference request as the queen routes it. */
export interface RoutedRequest {
  model: string;
  backend: Backend;
  device: number;
  /** Weight precision of the model (fp32 when absent). */
  dtype?: ModelDtype;
  params: InferenceRequest;
  /** The request's keep-alive, for the hive (it unloads the worker once idle this long). */
  keepAlive?: KeepAlive;
  /** Absolute deadline (epoch ms) every hop enforces, or null. */
  deadline?: number | null;
}

/** Longest wait for a full worker to free a slot before another worker is started instead. */
const FULL_WORKER_WAIT_MS = 5000;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** Routes requests to workers on the queen's hives. */
export class Router {
  readonly #lock: KeyLock;
  /**
   * `queue`: how many requests may wait per placement (default 32), and its slots
   * until its workers are known (default 1); then their slot count applies.
   */
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
      dtype: req.dtype ?? "fp32",
    };
    const hive = this.hives()[0];
    if (!hive) throw new RbeeError("HIVE_UNAVAILABLE", "No hive is registered with this queen");
    const release = await this.#lock.acquire(placementKey(placement), signal);
    try {
      const worker = await this.#workerFor(hive, placement, signal, emit);
      const body = req.keepAlive === undefined ? req.params : { ...req.params, keep_alive: req.keepAlive };
      const res = await hive.inference(worker.id, body, cid, signal, req.deadline ?? null);
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
  ): Promise<WorkerStatus> {
    const key = placementKey(placement);
    const giveUpWaitingAt = Date.now() + FULL_WORKER_WAIT_MS;
    let workers = await hive.listWorkers(signal);
    let decision = schedule(workers, placement);
    // Our queue let this request in, so a full worker is about to free a slot: wait rather than start another.
    while (decision.action === "wait" && Date.now() < giveUpWaitingAt) {
      await delay(25, signal);
      workers = await hive.listWorkers(signal);
      decision = schedule(workers, placement);
    }
    // The queue admits as many requests as the placement's workers have slots.
    this.#lock.setSlots(key, placementSlots(workers, placement));
    if (decision.action === "reuse") return decision.worker;
    this.log.info("Starting a worker", { hive: hive.name, ...placement });
    const dtype = placement.dtype ?? "fp32";
    await hive.pullModel(placement.model, (p) => emit({ event: "progress", data: p }), signal, dtype);
    const worker = await hive.spawnWorker({ ...placement, dtype }, signal);
    const others = workers.filter((w) => w.id !== worker.id);
    this.#lock.setSlots(key, placementSlots([...others, worker], placement));
    return worker;
  }
}

/**
 * Relays the worker's events until its stream ends. Reading past `[DONE]` to the
 * end matters: the hive gives the worker's slot back just before it closes the
 * stream, so the next request in the queue finds the worker free.
 */
async function relayEvents(res: Response, emit: (ev: InferenceStreamEvent) => void): Promise<void> {
  let over = false;
  for await (const ev of readSse(res.body!)) {
    if (over || ev.data === "[DONE]") {
      over = true;
      continue;
    }
    const data = JSON.parse(ev.data);
    if (ev.event === "error") {
      emit({ event: "error", data });
      over = true;
      continue;
    }
    if (ev.event === "started" || ev.event === "token" || ev.event === "end") {
      emit({ event: ev.event, data } as InferenceStreamEvent);
    }
  }
}
