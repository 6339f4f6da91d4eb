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

/** Throws `BACKEND_UNAVAILABLE` when the backend certainly cannot run here. */
export function assertBackendAvailable(backend: Backend, ortLibraryDir: string | null): void {
  const reason = backendUnavailableReason(backend, probeMachine(ortLibraryDir));
  if (reason) throw backendUnavailable(backend, reason);
}
