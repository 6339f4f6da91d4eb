/**
 * The queen's typed client for one hive: workers, pulls and inference.
 * Responses are validated with the same contracts the hive serves.
 */
import { type SpawnWorkerRequest, WorkerInfo, WorkerList } from "../shared/contracts/worker.ts";
import { PullProgressEvent } from "../shared/contracts/inference.ts";
import { type ModelInfo, ModelList, RemoveModelResult } from "../shared/contracts/models.ts";
import { fromEnvelope, RbeeError } from "../shared/errors.ts";
import { CORRELATION_HEADER } from "../shared/http.ts";
import { readSse } from "../shared/sse.ts";
import { authHeaders } from "../shared/auth.ts";
import { deadlineHeaders } from "../shared/deadline.ts";

/** A hive as the queen reaches it. */
export class HiveClient {
  constructor(readonly name: string, readonly url: string, private readonly token: string | null = null) {}

  /** The hive's workers. */
  async listWorkers(signal?: AbortSignal): Promise<WorkerInfo[]> {
    const res = await this.#call("GET", "/v1/workers", undefined, signal);
    return WorkerList.parse(await res.json()).workers;
  }

  /** Starts a worker; resolves once it is loaded. */
  async spawnWorker(req: SpawnWorkerRequest, signal?: AbortSignal): Promise<WorkerInfo> {
    const res = await this.#call("POST", "/v1/workers", req, signal);
    return WorkerInfo.parse(await res.json());
  }

  /** Makes a model available on the hive, reporting progress. */
  async pullModel(
    model: string,
    onProgress: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const res = await this.#call("POST", "/v1/models/pull", { model }, signal);
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

  /** Removes a model from the hive; `force` stops the workers using it first. */
  async removeModel(model: string, force: boolean, signal?: AbortSignal): Promise<RemoveModelResult> {
    const query = `?model=${encodeURIComponent(model)}${force ? "&force=true" : ""}`;
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
