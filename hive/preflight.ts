/**
 * Before spawning: will the model fit? The memory a worker needs is estimated
 * from the model's files and configuration; `checkFits` is the pure decision
 * against the device inventory, refusing with the figures before anything starts.
 */
import { RbeeError } from "../shared/errors.ts";
import type { Backend } from "../shared/contracts/worker.ts";
import { type DeviceInventory, readDevices } from "./devices.ts";

/** Fixed overhead of a worker process (runtime, onnxruntime, tokenizer). */
export const WORKER_OVERHEAD_BYTES = 256 * 1024 * 1024;

/** What a model needs in memory, in bytes: its weights plus its KV cache at full context. */
export interface MemoryNeed {
  weights: number;
  kvCache: number;
}

/** Model configuration fields that size the KV cache (transformers' `config.json`). */
export interface ModelShape {
  num_hidden_layers?: number;
  hidden_size?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  max_position_embeddings?: number;
}

/** KV cache bytes at full context in fp32: layers × 2 (K and V) × context × kv width × 4. */
export function kvCacheBytes(shape: ModelShape): number {
  const { num_hidden_layers: layers = 0, hidden_size: hidden = 0, max_position_embeddings: ctx = 0 } = shape;
  const heads = shape.num_attention_heads ?? 1;
  const kvWidth = hidden * ((shape.num_key_value_heads ?? heads) / heads);
  return layers * 2 * ctx * kvWidth * 4;
}

/** The refusal for a spawn that cannot run, or null when it fits. */
export function checkFits(
  backend: Backend,
  device: number,
  need: MemoryNeed,
  inv: DeviceInventory,
): RbeeError | null {
  const total = need.weights + need.kvCache;
  if (backend === "cuda") {
    if (inv.gpus.length === 0) {
      return new RbeeError(
        "BACKEND_UNAVAILABLE",
        `Cannot use backend 'cuda': ${inv.gpu_note ?? "no NVIDIA GPU found"}`,
        { backend },
      );
    }
    const gpu = inv.gpus.find((g) => g.index === device);
    if (!gpu) {
      return new RbeeError(
        "INVALID_DEVICE",
        `Cannot spawn worker: device ${device} does not exist (this machine has ${inv.gpus.length} GPU(s))`,
        {
          device,
          devices: inv.gpus.length,
        },
      );
    }
    if (total > gpu.memory_free_bytes) {
      return new RbeeError(
        "VRAM_EXHAUSTED",
        `Cannot spawn worker: the model needs ${mib(total)} MiB of GPU memory, device ${device} has ${
          mib(gpu.memory_free_bytes)
        } MiB free`,
        {
          required: total,
          available: gpu.memory_free_bytes,
          device,
        },
      );
    }
    return null;
  }
  const ram = total + WORKER_OVERHEAD_BYTES;
  if (ram > inv.cpu.memory_free_bytes) {
    return new RbeeError(
      "INSUFFICIENT_RAM",
      `Cannot spawn worker: the model needs ${mib(ram)} MiB of RAM, ${
        mib(inv.cpu.memory_free_bytes)
      } MiB are free`,
      {
        required: ram,
        available: inv.cpu.memory_free_bytes,
      },
    );
  }
  return null;
}

function mib(bytes: number): number {
  return Math.ceil(bytes / (1024 * 1024));
}

/** Estimates a model's memory from its folder: the ONNX weights it would load and its config. */
export async function estimateNeed(modelDir: string): Promise<MemoryNeed> {
  let weights = 0;
  try {
    for await (const e of Deno.readDir(`${modelDir}/onnx`)) {
      // The worker loads one variant; the plain model (or the largest present) bounds it.
      if (e.isFile && /\.onnx(_data)?$/.test(e.name)) {
        weights = Math.max(weights, (await Deno.stat(`${modelDir}/onnx/${e.name}`)).size);
      }
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new RbeeError(
        "MODEL_NOT_FOUND",
        "Cannot spawn worker: the model's folder is missing on this hive",
      );
    }
    throw err;
  }
  let shape: ModelShape = {};
  try {
    shape = JSON.parse(await Deno.readTextFile(`${modelDir}/config.json`));
  } catch {
    // no config: weights only
  }
  return { weights, kvCache: kvCacheBytes(shape) };
}

/** The whole pre-spawn check: estimate the need, read the devices, refuse what cannot fit. */
export async function preflightSpawn(
  spec: { modelDir: string; backend: Backend; device: number },
): Promise<void> {
  const need = await estimateNeed(spec.modelDir);
  const refusal = checkFits(spec.backend, spec.device, need, await readDevices());
  if (refusal) throw refusal;
}
