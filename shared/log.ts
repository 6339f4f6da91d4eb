/**
 * Structured logging: one JSON object per line on stderr, human-readable when
 * stderr is a terminal. Values under secret-looking keys are redacted.
 */

/** Log severities, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
// "token", "hf_token", "api_key"… but not "tokens_out" or "first_token_ms".
const SECRET_KEY = /^(.*_)?(token|secret|password|authorization|api_?key|credentials?)$/i;

/** Fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A logger bound to one service and a set of fields. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger;
}

/** Replaces the values of secret-looking keys, recursively. */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key)) out[key] = "[redacted]";
    else if (value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = redact(value as LogFields);
    } else out[key] = value;
  }
  return out;
}

/** Formats one record as a JSON line, or as a short readable line for a terminal. */
export function formatRecord(record: LogFields, pretty: boolean): string {
  if (!pretty) return JSON.stringify(record);
  const { time, level, service, msg, ...rest } = record;
  const extra = Object.keys(rest).length ? " " + JSON.stringify(rest) : "";
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${service}: ${msg}${extra}`;
}

/** Creates a logger for `service`, writing to stderr at or above `minLevel`. */
export function createLogger(
  service: string,
  minLevel: LogLevel = (Deno.env.get("RBEE_LOG_LEVEL") as LogLevel | undefined) ?? "info",
  base: LogFields = {},
): Logger {
  const pretty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_RANK[level] < (LEVEL_RANK[minLevel] ?? 1)) return;
    const record = redact({ time: new Date().toISOString(), level, service, msg, ...base, ...fields });
    try {
      Deno.stderr.writeSync(encoder.encode(formatRecord(record, pretty) + "\n"));
    } catch {
      // stderr closed (parent gone): logging must never crash the daemon
    }
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    with: (fields) => createLogger(service, minLevel, { ...base, ...fields }),
  };
}
