/**
 * How the hive starts a real worker: the worker role's command with its
 * sandbox narrowed to this one model (read) and the audit folder (write).
 */
import { roleCommand } from "../shared/permissions.ts";
import type { WorkerLauncher } from "./supervisor.ts";

/** A launcher for `llm-worker-rbee` processes with `slots` slots each. */
export function workerLauncher(slots: number, auditDir: string | null): WorkerLauncher {
  return (spec, workerId, hiveUrl) => {
    // A worker reads nothing but its model folder, and writes nothing but its audit log.
    const { command, args } = roleCommand("worker", {
      read: [spec.modelDir, ...(auditDir ? [auditDir] : [])],
      write: auditDir ? [auditDir] : [],
    });
    const flags: Record<string, string> = {
      "--model-dir": spec.modelDir,
      "--model-name": spec.model,
      "--backend": spec.backend,
      "--device": String(spec.device),
      "--dtype": spec.dtype ?? "fp32",
      "--worker-id": workerId,
      "--hive-url": hiveUrl,
      "--slots": String(slots),
    };
    return { command, args: [...args, ...Object.entries(flags).flat()] };
  };
}
