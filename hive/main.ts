/**
 * rbee-hive: one per machine. Pulls models, spawns and supervises workers,
 * proxies inference to them; stops them all on SIGTERM.
 */
import { createHiveApp } from "./app.ts";
import { HIVE_USAGE, loadConfig } from "./config.ts";
import { Supervisor } from "./supervisor.ts";
import { workerLauncher } from "./worker_launcher.ts";
import { supervisionOptions } from "./supervision_config.ts";
import { startHeartbeats } from "./queen_link.ts";
import { createModelProvider } from "./model_provider.ts";
import { listeningLine, onShutdownSignal, serveDaemon } from "../shared/daemon.ts";
import { exitWithError } from "../shared/flags.ts";
import { bootDaemon } from "../shared/daemon_boot.ts";

const { config, log, security } = bootDaemon({
  service: "hive",
  usage: HIVE_USAGE,
  loadConfig,
  logFields: (c) => ({ hive: c.name }),
});
let supervision;
try {
  supervision = supervisionOptions(Deno.env.toObject());
} catch (err) {
  exitWithError(err, 2);
}
let hiveUrl = "";
const supervisor = new Supervisor({
  log,
  hiveUrl: () => hiveUrl,
  loadingTimeoutMs: config.workerLoadTimeoutMs,
  audit: security.audit,
  stateFile: `${config.home}/hive-workers.json`,
  keepAliveMs: config.keepAliveMs,
  slots: config.workerSlots,
  ...supervision,
  launcher: workerLauncher(config.workerSlots, security.audit?.dir ?? null),
});
const models = createModelProvider(config, log, { env: Deno.env.toObject(), workers: supervisor });
const app = createHiveApp({
  name: config.name,
  supervisor,
  models,
  log,
  tokens: security.tokens,
  onAuth: security.onAuth,
  audit: security.audit,
});
let daemon;
try {
  // Bind before re-adopting workers: a busy port must fail before anything else happens.
  daemon = serveDaemon(app.fetch, { host: config.host, port: config.port, announce: false });
} catch (err) {
  exitWithError(err, 1);
}
hiveUrl = `http://127.0.0.1:${daemon.port}`;
await supervisor.recover();
console.log(listeningLine(daemon.url));
if (config.queenUrl) {
  startHeartbeats({
    queenUrl: config.queenUrl,
    token: Deno.env.get("RBEE_QUEEN_TOKEN") || null,
    heartbeat: () => ({
      name: config.name,
      url: config.advertiseUrl ?? daemon.url,
      workers: supervisor.list().length,
    }),
    intervalMs: config.heartbeatMs,
    log,
  });
}
log.info("Hive listening", { url: daemon.url, home: config.home });

onShutdownSignal(async (signal) => {
  log.info("Stopping workers", { signal });
  await supervisor.stopAll();
  await Promise.race([daemon.close(), new Promise((r) => setTimeout(r, 2000))]);
  await models.close?.();
  Deno.exit(0);
});
