/**
 * llm-worker-rbee: binds 127.0.0.1, loads one model on the chosen backend,
 * tells its hive it is ready, and serves inference until SIGTERM.
 */
import { createWorkerApp, type WorkerRuntime } from "./app.ts";
import { reportReady } from "./hive_callback.ts";
import { loadConfig, WORKER_USAGE } from "./config.ts";
import { loadModel } from "./model.ts";
import { assertBackendAvailable } from "./backend.ts";
import { ortLibraryDir } from "./model.ts";
import { onShutdownSignal, serveDaemon } from "../shared/daemon.ts";
import { RbeeError, toRbeeError } from "../shared/errors.ts";
import { createLogger } from "../shared/log.ts";
import { exitWithError } from "../shared/flags.ts";
import { setupDaemonSecurity } from "../shared/daemon_security.ts";

if (Deno.args.includes("--help")) {
  console.log(WORKER_USAGE);
  Deno.exit(0);
}

/** Reports a fatal start-up error as one JSON line on stdout (for the hive) and one on stderr. */
function fail(err: unknown): never {
  const rbee = err instanceof RbeeError ? err : toRbeeError(err);
  if (!(err instanceof RbeeError)) console.error(err);
  console.log(JSON.stringify({ event: "failed", error: rbee.toEnvelope().error }));
  exitWithError(rbee, 3);
}

let config;
try {
  config = loadConfig(Deno.args, Deno.env.toObject());
  assertBackendAvailable(config.backend, config.device, ortLibraryDir());
} catch (err) {
  fail(err);
}
const log = createLogger("worker", undefined, { worker_id: config.workerId });
let security;
try {
  // The hive hands each worker its own token; a worker started by hand may run without one (loopback only).
  security = setupDaemonSecurity({
    service: `worker-${config.workerId}`,
    host: "127.0.0.1",
    env: Deno.env.toObject(),
    log,
    tokenEnvVar: "RBEE_WORKER_TOKEN",
  });
} catch (err) {
  fail(err);
}
const rt: WorkerRuntime = { modelName: config.modelName, model: null, active: 0, slots: config.slots };
const app = createWorkerApp(rt, log, security.tokens);
const daemon = serveDaemon(app.fetch, { host: "127.0.0.1", port: config.port });
const shutdown = async (signal: string) => {
  log.info("Stopping", { signal });
  await Promise.race([daemon.close(), new Promise((r) => setTimeout(r, 2000))]);
  Deno.exit(0);
};
rt.shutdown = () => void shutdown("request");
onShutdownSignal(shutdown);

try {
  const started = performance.now();
  rt.model = await loadModel(config.modelDir, config.backend, config.device, config.dtype);
  log.info("Model loaded", { backend: config.backend, ms: Math.round(performance.now() - started) });
} catch (err) {
  fail(err);
}
if (config.hiveUrl) {
  await reportReady(config.hiveUrl, config.workerId, daemon.url, security.tokens.current()).catch(fail);
}
