/**
 * Worker configuration: flags > environment > defaults. Pure.
 * Workers always bind 127.0.0.1: only their hive talks to them.
 */
import { z } from "zod";
import { Backend, DeviceIndex, WorkerId } from "../shared/contracts/worker.ts";
import { parseFlags, pick } from "../shared/flags.ts";
import { validate } from "../shared/validation.ts";

/** Worker configuration. */
export const WorkerConfig = z.object({
  modelDir: z.string().min(1, "--model-dir is required"),
  modelName: z.string().min(1),
  backend: Backend,
  device: DeviceIndex,
  port: z.coerce.number().int().min(0).max(65535),
  workerId: WorkerId,
  hiveUrl: z.url().optional(),
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
  --port N            port on 127.0.0.1 (default 0: a free port)
  --worker-id ID      id given by the hive (default: random)
  --hive-url URL      hive to tell once the model is loaded
  --help              this text`;

/** Builds the worker configuration from its arguments and environment. */
export function loadConfig(args: string[], env: Record<string, string | undefined>): WorkerConfig {
  const { values } = parseFlags(args, {
    "model-dir": { type: "string" },
    "model-name": { type: "string" },
    backend: { type: "string" },
    device: { type: "string" },
    port: { type: "string" },
    "worker-id": { type: "string" },
    "hive-url": { type: "string" },
  });
  const modelDir = (values["model-dir"] as string | undefined) ?? "";
  return validate(WorkerConfig, {
    modelDir,
    modelName: pick(values["model-name"], modelDir.split("/").filter(Boolean).pop(), "model"),
    backend: pick(values.backend, env.RBEE_WORKER_BACKEND, "cpu"),
    device: Number(pick(values.device, "0")),
    port: pick(values.port, "0"),
    workerId: pick(values["worker-id"], `w-${crypto.randomUUID().slice(0, 8)}`),
    hiveUrl: values["hive-url"],
  }, "worker configuration");
}
