/**
 * Hive configuration: flags > environment > defaults. Pure.
 */
import { z } from "zod";
import { LISTEN_FLAGS, ListenConfig, rbeeHome } from "../shared/daemon_config.ts";
import { parseFlags, pick } from "../shared/flags.ts";
import { validate } from "../shared/validation.ts";
import { parseKeepAlive } from "./keep_alive.ts";
import { SUPERVISION_ENV } from "./supervision_config.ts";

/** Milliseconds, or NaN (which validation rejects) for a malformed value. */
function keepAliveOrNaN(value: string | undefined): number {
  try {
    return parseKeepAlive(value);
  } catch {
    return NaN;
  }
}

/** Default hive port. */
export const HIVE_PORT = 7835;

/** Hive configuration. */
export const HiveConfig = ListenConfig.extend({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "Expected a hive name"),
  home: z.string().min(1),
  hfEndpoint: z.url(),
  hfToken: z.string().optional(),
  workerLoadTimeoutMs: z.number().int().min(1000),
  /** How long idle workers stay loaded; negative = forever (see keep_alive.ts). */
  keepAliveMs: z.number().int("Expected --keep-alive to be a duration such as 30s, 5m, 0 or -1"),
  /** Requests each worker generates at once (its `--slots`). */
  workerSlots: z.number().int("Expected --worker-slots to be a whole number").min(1).max(64),
  tokenFile: z.string().optional(),
  auditDir: z.string().optional(),
  /** A queen to register with (and heartbeat to). */
  queenUrl: z.url().optional(),
  /** The URL the queen should use for this hive (default: the one it listens on). */
  advertiseUrl: z.url().optional(),
  heartbeatMs: z.number().int().min(100),
});
/** Hive configuration. */
export type HiveConfig = z.infer<typeof HiveConfig>;

/** Usage text for `--help`. */
export const HIVE_USAGE = `rbee-hive — runs workers on this machine

Usage: rbee-hive [options]

  --host HOST     address to bind (default 127.0.0.1)
  --port N        port (default ${HIVE_PORT}; 0 picks a free one)
  --name NAME     this hive's name (default: local)
  --home DIR      state folder (default: RBEE_HOME, else ~/.rbee)
  --token-file F  callers (the queen) must send this token (also CREDENTIALS_DIRECTORY/rbee-token,
                  RBEE_TOKEN_FILE or RBEE_TOKEN); required unless bound to loopback
  --audit-dir DIR write the tamper-evident audit log there (or RBEE_AUDIT_DIR)
  --keep-alive D  unload idle workers after D (30s, 5m, 1h; 0 = after each request; -1 = never;
                  default 5m, or RBEE_KEEP_ALIVE)
  --worker-slots N
                  requests each worker generates at once, each with its own KV cache
                  (1..64; default 1, or RBEE_WORKER_SLOTS)
  --queen-url URL register with this queen and send it heartbeats (or RBEE_HIVE_QUEEN_URL);
                  the hive presents RBEE_QUEEN_TOKEN, every RBEE_HEARTBEAT_MS (default 10000)
  --advertise-url URL  the URL the queen should call this hive on (default: where it listens)
  --help          this text

Environment: RBEE_HOME, HF_ENDPOINT (hub URL), HF_TOKEN (hub access token).
Supervision (environment):
${Object.entries(SUPERVISION_ENV).map(([k, v]) => `  ${k.padEnd(26)} ${v}`).join("\n")}
SIGHUP re-reads the token.`;

/** Builds the hive configuration from its arguments and environment. */
export function loadConfig(args: string[], env: Record<string, string | undefined>): HiveConfig {
  const { values } = parseFlags(args, {
    ...LISTEN_FLAGS,
    name: { type: "string" },
    home: { type: "string" },
    "token-file": { type: "string" },
    "audit-dir": { type: "string" },
    "keep-alive": { type: "string" },
    "worker-slots": { type: "string" },
    "queen-url": { type: "string" },
    "advertise-url": { type: "string" },
  });
  return validate(HiveConfig, {
    host: pick(values.host, env.RBEE_HIVE_HOST, "127.0.0.1"),
    port: pick(values.port, env.RBEE_HIVE_PORT, String(HIVE_PORT)),
    name: pick(values.name, env.RBEE_HIVE_NAME, "local"),
    home: pick(values.home as string | undefined, rbeeHome(env)),
    hfEndpoint: pick(env.HF_ENDPOINT, "https://huggingface.co"),
    hfToken: pick(env.HF_TOKEN),
    workerLoadTimeoutMs: Number(pick(env.RBEE_WORKER_LOAD_TIMEOUT_MS, "120000")),
    tokenFile: values["token-file"],
    auditDir: pick(values["audit-dir"], env.RBEE_AUDIT_DIR),
    keepAliveMs: keepAliveOrNaN(pick(values["keep-alive"] as string | undefined, env.RBEE_KEEP_ALIVE, "5m")),
    workerSlots: Number(pick(values["worker-slots"], env.RBEE_WORKER_SLOTS, "1")),
    queenUrl: pick(values["queen-url"], env.RBEE_HIVE_QUEEN_URL),
    advertiseUrl: pick(values["advertise-url"], env.RBEE_HIVE_ADVERTISE_URL),
    heartbeatMs: Number(pick(env.RBEE_HEARTBEAT_MS, "10000")),
  }, "hive configuration");
}
