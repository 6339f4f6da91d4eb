/**
 * Keep-alive: how long an idle worker stays loaded. Like Ollama's
 * `keep_alive`: a duration ("30s", "5m", "1h", or a number of seconds),
 * 0 = unload as soon as the request ends, negative = keep loaded. Pure.
 */

/** Default keep-alive: 5 minutes. */
export const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds for a keep-alive value (negative means forever), or throws RangeError. */
export function parseKeepAlive(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value < 0 ? -1 : Math.round(value * 1000);
  if (typeof value === "string") {
    const m = value.trim().match(/^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/);
    if (m) {
      const n = Number(m[1]);
      return n < 0 ? -1 : Math.round(n * UNIT_MS[m[2] ?? "s"]);
    }
  }
  throw new RangeError(
    `Invalid keep_alive '${String(value).slice(0, 32)}': expected a duration such as 30s, 5m or -1`,
  );
}

/** When an idle worker last used at `lastUsed` should be unloaded, or null to keep it. */
export function unloadAt(lastUsed: number, keepAliveMs: number): number | null {
  return keepAliveMs < 0 ? null : lastUsed + keepAliveMs;
}

/** True when an idle worker is due to be unloaded at `now`. */
export function dueForUnload(lastUsed: number, keepAliveMs: number, now: number): boolean {
  const at = unloadAt(lastUsed, keepAliveMs);
  return at !== null && now >= at;
}
