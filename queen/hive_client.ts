/**
 * The queen's typed client for one hive: workers, pulls and inference.
 * Responses are validated with the same contracts the hive serves.
 */
import type { z } from "zod";
import type { SpawnWorkerRequest } from "../shared/contracts/worker.ts";
import {
  type ResetBreakerRequest,
  StopWorkerResult,
  WorkerStatus,
  WorkerStatusList,
} from "../shared/contracts/supervision.ts";
import { PullProgressEvent } from "../shared/contracts/inference.ts";
import { type ModelDtype, type ModelInfo, ModelList, RemoveModelResult } from "../shared/contracts/models.ts";
import { fromEnvelope, RbeeError } from "../shared/errors.ts";
import { CORRELATION_HEADER } from "../shared/http.ts";
import { readSse } from "../shared/sse.ts";
import { authHeaders } from "../shared/auth.ts";
import { deadlineHeaders } from "../shared/deadline.ts";

/** A hive as the queen reaches it. */
export class HiveClient {
  constructor(readonly name: string, readonly url: string, private readonly token: string | null = null) {}

  /** The hive's workers, as its supervisor sees them. */
  async listWorkers(signal?: AbortSignal): Promise<WorkerStatus[]> {
    const res = await this.#call("GET", "/v1/workers", undefined, signal);
    return WorkerStatusList.parse(await res.json()).workers;
  }

  /** Starts a worker; resolves once it is loaded (fields with defaults may be left out). */
  async spawnWorker(req: z.input<typeof SpawnWorkerRequest>, signal?: AbortSignal): Promise<WorkerStatus> {
    const res = await this.#call("POST", "/v1/workers", req, signal);
    return WorkerStatus.parse(await res.json());
  }

  /** Stops one of the hive's workers (ask, SIGTERM, then SIGKILL). */
  async stopWorker(id: string, signal?: AbortSignal): Promise<StopWorkerResult> {
    const res = await this.#call("DELETE", `/v1/workers/${encodeURIComponent(id)}`, undefined, signal);
    return StopWorkerResult.parse(await res.json());
  }

  /** Lets the hive start a placement again whose circuit breaker opened. */
  async resetBreaker(req: ResetBreakerRequest, signal?: AbortSignal): Promise<void> {
    await (await this.#call("POST", "/v1/workers/reset-breaker", req, signal)).body?.cancel();
  }

  /** Makes a model available on the hive, reporting progress. */
  async pullModel(
    model: string,
    onProgress: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
    dtype: ModelDtype = "fp32",
  ): Promise<void> {
    const res = await this.#call("POST", "/v1/models/pull", { model, dtype }, signal);
    for await (const ev of readSse(res.body!)) {
      const data = JSON.parse(ev.data);
      if (ev.event === "progress") onProgress(PullProgressEvent.parse(data));
      else if (ev.event === "error") throw fromEnvelope({ error: data }, 500);
      else if (ev.event === "done") return;
    }
    throw new RbeeError("HIVE_UNAVAILABLE", `Hive '${this.name}' ended the pull without an answer`);
  }

  /** The hive's installed models (its catalog). */
  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return ModelList.parse(await (await this.#call("GET", "/v1/models", undefined, signal)).json()).models;
  }

  /** Removes a model (in `dtype`, else every precision) from the hive; `force` stops its workers first. */
  async removeModel(
    model: string,
    force: boolean,
    signal?: AbortSignal,
    dtype?: ModelDtype,
  ): Promise<RemoveModelResult> {
    const query = `?model=${encodeURIComponent(model)}${force ? "&force=true" : ""}${
      dtype ? `&dtype=${dtype}` : ""
    }`;
    const res = await this.#call("DELETE", `/v1/models${query}`, undefined, signal);
    return RemoveModelResult.parse(await res.json());
  }

  /** Opens an inference stream on a worker; the response body is the worker's SSE stream. */
  async inference(
    workerId: string,
    body: unknown,
    cid: string,
    signal?: AbortSignal,
    deadline: number | null = null,
  ): Promise<Response> {
    return await this.#call("POST", `/v1/workers/${workerId}/inference`, body, signal, cid, deadline);
  }

  async #call(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    cid?: string,
    deadline: number | null = null,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      ...authHeaders(this.token),
      ...deadlineHeaders(deadline),
    };
    if (cid) headers[CORRELATION_HEADER] = cid;
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new RbeeError("HIVE_UNAVAILABLE", `Hive '${this.name}' is not reachable`, { hive: this.name });
    }
    if (!res.ok) throw fromEnvelope(await res.json().catch(() => null), res.status);
    return res;
  }
}
