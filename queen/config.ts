/**
 * Queen configuration: flags > environment > defaults. Pure.
 */
import { z } from "zod";
import { LISTEN_FLAGS, ListenConfig, rbeeHome } from "../shared/daemon_config.ts";
import { Backend } from "../shared/contracts/worker.ts";
import { parseFlags, pick } from "../shared/flags.ts";
import { validate } from "../shared/validation.ts";

/** Default queen port. */
export const QUEEN_PORT = 7833;

/** Queen configuration. */
export const QueenConfig = ListenConfig.extend({
  home: z.string().min(1),
  /** A hive to use instead of starting one on this machine. */
  hiveUrl: z.url().optional(),
  /** Port for the local hive the queen starts (0 = any free port). */
  localHivePort: z.coerce.number().int().min(0).max(65535),
  defaultBackend: Backend,
  tokenFile: z.string().optional(),
  /** Token file of a hive given with --hive-url (else RBEE_HIVE_TOKEN). */
  hiveTokenFile: z.string().optional(),
  auditDir: z.string().optional(),
  /** Deadline applied to requests that carry none, and the longest allowed. */
  defaultTimeoutMs: z.number().int().min(1),
  maxTimeoutMs: z.number().int().min(1),
});
/** Queen configuration. */
export type QueenConfig = z.infer<typeof QueenConfig>;

/** Usage text for `--help`. */
export const QUEEN_USAGE = `queen-rbee — the control plane: OpenAI-compatible API, scheduling, routing

Usage: queen-rbee [options]

  --host HOST         address to bind (default 127.0.0.1)
  --port N            port (default ${QUEEN_PORT}; 0 picks a free one)
  --home DIR          state folder (default: RBEE_HOME, else ~/.rbee)
  --hive-url URL      use this running hive instead of starting one here
  --hive-port N       port of the hive started here (default 7835)
  --backend B         backend when a request names none: cpu | cuda | webgpu (default cpu)
  --token-file FILE   clients must send this token (also CREDENTIALS_DIRECTORY/rbee-token,
                      RBEE_TOKEN_FILE or RBEE_TOKEN); required unless bound to loopback
  --hive-token-file F token of the hive given by --hive-url (or RBEE_HIVE_TOKEN)
  --audit-dir DIR     write the tamper-evident audit log there (or RBEE_AUDIT_DIR)
  --help              this text

Requests may carry X-Request-Deadline (RFC 3339 or epoch ms) or X-Request-Timeout-Ms;
RBEE_DEFAULT_TIMEOUT_MS (default 600000) applies otherwise, RBEE_MAX_TIMEOUT_MS
(default 3600000) caps them. SIGHUP re-reads the token.

Without --hive-url the queen starts a hive on this machine as its child and
stops it (and its workers) when it stops.`;

/** Builds the queen configuration from its arguments and environment. */
export function loadConfig(args: string[], env: Record<string, string | undefined>): QueenConfig {
  const { values } = parseFlags(args, {
    ...LISTEN_FLAGS,
    home: { type: "string" },
    "hive-url": { type: "string" },
    "hive-port": { type: "string" },
    backend: { type: "string" },
    "token-file": { type: "string" },
    "hive-token-file": { type: "string" },
    "audit-dir": { type: "string" },
  });
  return validate(QueenConfig, {
    host: pick(values.host, env.RBEE_QUEEN_HOST, "127.0.0.1"),
    port: pick(values.port, env.RBEE_QUEEN_PORT, String(QUEEN_PORT)),
    home: pick(values.home as string | undefined, rbeeHome(env)),
    hiveUrl: pick(values["hive-url"], env.RBEE_HIVE_URL),
    localHivePort: pick(values["hive-port"], "7835"),
    defaultBackend: pick(values.backend, env.RBEE_BACKEND, "cpu"),
    tokenFile: values["token-file"],
    hiveTokenFile: values["hive-token-file"],
    auditDir: pick(values["audit-dir"], env.RBEE_AUDIT_DIR),
    defaultTimeoutMs: Number(pick(env.RBEE_DEFAULT_TIMEOUT_MS, "600000")),
    maxTimeoutMs: Number(pick(env.RBEE_MAX_TIMEOUT_MS, "3600000")),
  }, "queen configuration");
}
