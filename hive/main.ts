/**
 * rbee-hive: one per machine. Pulls models, spawns and supervises workers,
 * proxies inference to them; stops them all on SIGTERM.
 */
import { createHiveApp } from "./app.ts";
import { HIVE_USAGE, loadConfig } from "./config.ts";
import { Supervisor } from "./supervisor.ts";
import { createModelProvider } from "./model_provider.ts";
import { onShutdownSignal, serveDaemon } from "../shared/daemon.ts";
import { exitWithError } from "../shared/flags.ts";
import { createLogger } from "../shared/log.ts";
import { roleCommand } from "../shared/permissions.ts";
import { setupDaemonSecurity } from "../shared/daemon_security.ts";

if (Deno.args.includes("--help")) {
  console.log(HIVE_USAGE);
  Deno.exit(0);
}
let config;
try {
  config = loadConfig(Deno.args, Deno.env.toObject());
} catch (err) {
  exitWithError(err, 2);
}
const log = createLogger("hive", undefined, { hive: config.name });
let security;
try {
  security = setupDaemonSecurity({
    service: "hive",
    host: config.host,
    tokenFile: config.tokenFile,
    auditDir: config.auditDir,
    env: Deno.env.toObject(),
    log,
  });
} catch (err) {
  exitWithError(err, 2);
}
let hiveUrl = "";
const supervisor = new Supervisor({
  log,
  hiveUrl: () => hiveUrl,
  loadingTimeoutMs: config.workerLoadTimeoutMs,
  launcher: (spec, workerId, url) => {
    // A worker reads nothing but its model folder.
    const { command, args } = roleCommand("worker", { read: [spec.modelDir] });
    return {
      command,
      args: [
        ...args,
        "--model-dir",
        spec.modelDir,
        "--model-name",
        spec.model,
        "--backend",
        spec.backend,
        "--device",
        String(spec.device),
        "--worker-id",
        workerId,
        "--hive-url",
        url,
      ],
    };
  },
});
const models = createModelProvider(config, log);
const app = createHiveApp({
  name: config.name,
  supervisor,
  models,
  log,
  tokens: security.tokens,
  onAuth: security.onAuth,
});
const daemon = serveDaemon(app.fetch, { host: config.host, port: config.port });
hiveUrl = `http://127.0.0.1:${daemon.port}`;
log.info("Hive listening", { url: daemon.url, home: config.home });

onShutdownSignal(async (signal) => {
  log.info("Stopping workers", { signal });
  await supervisor.stopAll();
  await Promise.race([daemon.close(), new Promise((r) => setTimeout(r, 2000))]);
  Deno.exit(0);
});
