/**
 * Is the chosen execution provider usable here? Checked before loading so
 * that a missing CUDA install fails with a reason, never a silent CPU run.
 */
import { RbeeError } from "../shared/errors.ts";
import type { Backend } from "../shared/contracts/worker.ts";

/** Facts about the machine that decide backend availability (gathered by {@link probeMachine}). */
export interface MachineFacts {
  /** Files in onnxruntime-node's native library folder. */
  ortLibraries: string[];
  /** An NVIDIA kernel driver is loaded (`/proc/driver/nvidia/version` exists). */
  nvidiaDriver: boolean;
}

/** Why `backend` cannot run on a machine with `facts`, or null when it may. */
export function backendUnavailableReason(backend: Backend, facts: MachineFacts): string | null {
  if (backend !== "cuda") return null; // cpu always; webgpu is known only once an adapter is asked for
  if (!facts.nvidiaDriver) return "no NVIDIA driver found";
  if (!facts.ortLibraries.some((f) => f.startsWith("libonnxruntime_providers_cuda"))) {
    return "onnxruntime's CUDA provider library is not installed (install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)";
  }
  return null;
}

/** The error a worker exits with when its backend cannot be used. */
export function backendUnavailable(backend: Backend, reason: string): RbeeError {
  return new RbeeError(
    "BACKEND_UNAVAILABLE",
    `Cannot use backend '${backend}': ${reason}`,
    { backend },
  );
}

/**
 * A one-line reason from an execution provider's start-up failure: the
 * provider's own diagnosis without the C++ frames and source paths around it.
 */
export function describeProviderFailure(message: string): string {
  const line = message.split("\n")[0];
  const adapter = line.match(/Failed to get a WebGPU adapter[^.]*/);
  if (adapter) return `no WebGPU adapter found (${adapter[0]})`;
  const cleaned = line.replace(/\S*\/\S+/g, "").replace(/\s+/g, " ").trim();
  return cleaned.slice(0, 300) || "the execution provider failed to start";
}

/** Gathers {@link MachineFacts} from the disk. */
export function probeMachine(ortLibraryDir: string | null): MachineFacts {
  const ortLibraries: string[] = [];
  if (ortLibraryDir) {
    try {
      for (const entry of Deno.readDirSync(ortLibraryDir)) ortLibraries.push(entry.name);
    } catch {
      // unreadable: treated as no optional providers installed
    }
  }
  let nvidiaDriver = false;
  try {
    Deno.statSync("/proc/driver/nvidia/version");
    nvidiaDriver = true;
  } catch {
    nvidiaDriver = false;
  }
  return { ortLibraries, nvidiaDriver };
}

/** Throws `BACKEND_UNAVAILABLE` when the backend certainly cannot run here, `INVALID_DEVICE` for a bad index. */
export function assertBackendAvailable(backend: Backend, device: number, ortLibraryDir: string | null): void {
  if (backend !== "cuda" && device !== 0) {
    throw new RbeeError("INVALID_DEVICE", `Backend '${backend}' has only device 0, not '${device}'`, {
      backend,
      device,
    });
  }
  const reason = backendUnavailableReason(backend, probeMachine(ortLibraryDir));
  if (reason) throw backendUnavailable(backend, reason);
}
