/**
 * What this machine has to run workers on: CPU cores, RAM, and NVIDIA GPUs
 * with their memory (read from `nvidia-smi` when it is on PATH). Parsing is
 * pure; running `nvidia-smi` is the thin shell around it.
 */

/** One NVIDIA GPU. */
export interface GpuInfo {
  index: number;
  name: string;
  memory_total_bytes: number;
  memory_free_bytes: number;
}

/** The machine's devices, as `GET /v1/devices` reports them. */
export interface DeviceInventory {
  cpu: { cores: number; memory_total_bytes: number; memory_free_bytes: number };
  /** NVIDIA GPUs; empty when there is no driver. */
  gpus: GpuInfo[];
  /** Why `gpus` is empty, when it is. */
  gpu_note?: string;
}

const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(text: string): GpuInfo[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const [index, name, total, free] = line.split(",").map((f) => f.trim());
    const gpu = {
      index: Number(index),
      name,
      memory_total_bytes: Number(total) * MIB,
      memory_free_bytes: Number(free) * MIB,
    };
    if (![gpu.index, gpu.memory_total_bytes, gpu.memory_free_bytes].every(Number.isFinite)) {
      throw new Error(`Unexpected nvidia-smi line '${line}'`);
    }
    return gpu;
  });
}

/** Runs nvidia-smi; resolves with its GPUs, or none and the reason. */
export async function queryNvidiaGpus(): Promise<{ gpus: GpuInfo[]; note?: string }> {
  try {
    const out = await new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    if (!out.success) return { gpus: [], note: `nvidia-smi failed with code ${out.code}` };
    return { gpus: parseNvidiaSmi(new TextDecoder().decode(out.stdout)) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { gpus: [], note: "no NVIDIA driver found" };
    }
    return { gpus: [], note: `nvidia-smi could not be read: ${(err as Error).message.split("\n")[0]}` };
  }
}

/** The machine's inventory right now. */
export async function readDevices(): Promise<DeviceInventory> {
  const mem = Deno.systemMemoryInfo();
  const { gpus, note } = await queryNvidiaGpus();
  const inv: DeviceInventory = {
    cpu: {
      cores: navigator.hardwareConcurrency,
      memory_total_bytes: mem.total,
      memory_free_bytes: mem.available,
    },
    gpus,
  };
  if (note) inv.gpu_note = note;
  return inv;
}
