/**
 * Worker configuration: flags > environment > defaults. Pure.
 * Workers always bind 127.0.0.1: only their hive talks to them.
 */
import { z } from "zod";
import { Backend, DeviceIndex, WorkerId } from "../shared/contracts/worker.ts";
import { ModelDtype } from "../shared/contracts/models.ts";
import { parseFlags, pick } from "../shared/flags.ts";
import { BindPort } from "../shared/daemon_config.ts";
import { validate } from "../shared/validation.ts";

/** Most requests one worker generates at once. */
export const MAX_SLOTS = 64;

/** Worker configuration. */
export const WorkerConfig = z.object({
  modelDir: z.string().min(1, "--model-dir is required"),
  modelName: z.string().min(1),
  backend: Backend,
  device: DeviceIndex,
  /** Which ONNX variant of the folder to load (onnx/model.onnx, model_fp16.onnx …). */
  dtype: ModelDtype,
  port: BindPort,
  workerId: WorkerId,
  hiveUrl: z.url().optional(),
  /** Requests generated at once, each with its own KV cache. */
  slots: z.number().int("Expected --slots to be a whole number").min(1).max(MAX_SLOTS),
});
/** Worker configuration. */
export type WorkerConfig = z.infer<typeof WorkerConfig>;

/** Usage text for `--help`. */
export const WORKER_USAGE = `llm-worker-rbee — serves one ONNX model on 127.0.0.1

Usage: llm-worker-rbee --model-dir DIR [options]

  --model-dir DIR     model folder in the transformers.js/ONNX layout (required)
  --model-name NAME   name reported in responses (default: the folder)
  --backend B         cpu | cuda | webgpu (default cpu; never falls back)
  --device N          device index for cuda/webgpu (default 0)
  --dtype D           fp32 | fp16 | q8 | q4: the ONNX variant to load (default fp32)
  --port N            port on 127.0.0.1 (default 0: a free port)
  --worker-id ID      id given by the hive (default: random)
  --hive-url URL      hive to tell once the model is loaded
  --slots N           requests generated at once, each with its own KV cache (1..64, default 1)
  --help              this text`;

/** Builds the worker configuration from its arguments and environment. */
export function loadConfig(args: string[], env: Record<string, string | undefined>): WorkerConfig {
  const { values } = parseFlags(args, {
    "model-dir": { type: "string" },
    "model-name": { type: "string" },
    backend: { type: "string" },
    device: { type: "string" },
    dtype: { type: "string" },
    port: { type: "string" },
    "worker-id": { type: "string" },
    "hive-url": { type: "string" },
    slots: { type: "string" },
  });
  const modelDir = (values["model-dir"] as string | undefined) ?? "";
  return validate(WorkerConfig, {
    modelDir,
    modelName: pick(values["model-name"], modelDir.split("/").filter(Boolean).pop(), "model"),
    backend: pick(values.backend, env.RBEE_WORKER_BACKEND, "cpu"),
    device: Number(pick(values.device, "0")),
    dtype: pick(values.dtype, "fp32"),
    port: pick(values.port, "0"),
    workerId: pick(values["worker-id"], `w-${crypto.randomUUID().slice(0, 8)}`),
    hiveUrl: values["hive-url"],
    slots: Number(pick(values.slots, "1")),
  }, "worker configuration");
}
