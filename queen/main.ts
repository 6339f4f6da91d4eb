/**
 * queen-rbee: the control plane. Starts (or connects to) a hive, serves the
 * OpenAI-compatible and native APIs, and on SIGTERM/SIGINT stops the hive it
 * started, which stops its workers.
 */
import { createQueenApp } from "./app.ts";
import { loadConfig, QUEEN_USAGE } from "./config.ts";
import { HiveClient } from "./hive_client.ts";
import { startLocalHive } from "./local_hive.ts";
import { Router } from "./router.ts";
import { HiveRegistry } from "./hive_registry.ts";
import type { DaemonChild } from "../shared/child.ts";
import { listeningLine, onShutdownSignal, serveDaemon } from "../shared/daemon.ts";
import { exitWithError } from "../shared/flags.ts";
import { bootDaemon } from "../shared/daemon_boot.ts";
import { generateToken, loadToken } from "../shared/token.ts";

const { config, log, security } = bootDaemon({ service: "queen", usage: QUEEN_USAGE, loadConfig });
let localHive: DaemonChild | null = null;
let stopping = false;
onShutdownSignal(async (signal) => {
  stopping = true;
  log.info("Stopping", { signal });
  // The hive stops its workers on SIGTERM; give it time to do so before SIGKILL.
  if (localHive) {
    await localHive.stop(35_000);
    security.audit?.record({ event: "hive_leave", actor: null, subject: "local", outcome: "success" });
  }
  Deno.exit(0);
});

// Bind before starting the hive, so a busy port fails without leaving a child behind.
let registry: HiveRegistry | null = null;
const hives = () =>
  registry?.list((name) => {
    log.warn("Hive stopped sending heartbeats; dropped", { hive: name });
    security.audit?.record({ event: "hive_leave", actor: null, subject: name, outcome: "failure" });
  }) ?? [];
const router = new Router(hives, log);
const app = createQueenApp({
  router,
  hives,
  hiveHeartbeat: (hb) => {
    const joined = registry?.heartbeat(hb.name, hb.url) ?? false;
    if (joined) {
      security.audit?.record({ event: "hive_join", actor: null, subject: hb.name, outcome: "success" });
    }
    return joined;
  },
  defaultBackend: config.defaultBackend,
  log,
  tokens: security.tokens,
  onAuth: security.onAuth,
  deadlines: { defaultMs: config.defaultTimeoutMs, maxMs: config.maxTimeoutMs },
});
let daemon;
try {
  daemon = serveDaemon(app.fetch, { host: config.host, port: config.port, announce: false });
} catch (err) {
  exitWithError(err, 1);
}
let hiveUrl = config.hiveUrl;
// The token this queen presents to hives that register with it, and to a --hive-url hive.
let remoteHiveToken: string | null;
try {
  remoteHiveToken = loadToken(
    { file: config.hiveTokenFile, credential: "rbee-hive-token", envVar: "RBEE_HIVE_TOKEN" },
    Deno.env.toObject(),
  );
} catch (err) {
  exitWithError(err, 2);
}
registry = new HiveRegistry(remoteHiveToken);
const hiveToken = hiveUrl ? remoteHiveToken : generateToken();
if (!hiveUrl) {
  try {
    localHive = await startLocalHive(config.home, config.localHivePort, hiveToken!, {
      queenUrl: daemon.url,
      queenToken: security.tokens.current(),
    });
  } catch (err) {
    exitWithError(err, 1);
  }
  hiveUrl = localHive.url;
  localHive.exited.then((status) => {
    if (stopping) return;
    log.error("Local hive exited; stopping", { code: status.code });
    Deno.exit(1);
  });
}
registry.pin(new HiveClient("local", hiveUrl, hiveToken));
security.audit?.record({ event: "hive_join", actor: null, subject: "local", outcome: "success" });
console.log(listeningLine(daemon.url));
log.info("Queen listening", { url: daemon.url, hive: hiveUrl });
