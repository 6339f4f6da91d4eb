/**
 * Request deadlines: read from `X-Request-Deadline` (RFC 3339 or epoch
 * milliseconds) or `X-Request-Timeout-Ms`, bounded by a hop's default and
 * maximum, forwarded as one absolute time so every hop stops together. A hop
 * may shorten a deadline, never extend it.
 */
import { RbeeError } from "./errors.ts";

/** Header carrying the absolute deadline (forwarded as epoch milliseconds). */
export const DEADLINE_HEADER = "x-request-deadline";
/** Header carrying a relative timeout in milliseconds. */
export const TIMEOUT_HEADER = "x-request-timeout-ms";

/** Parses a deadline header value: epoch milliseconds or an RFC 3339 time. */
export function parseDeadlineValue(value: string): number {
  const trimmed = value.trim();
  if (/^\d{1,16}$/.test(trimmed)) return Number(trimmed);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
  const ms = rfc3339.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(ms)) {
    throw new RbeeError(
      "VALIDATION_ERROR",
      `Invalid ${DEADLINE_HEADER}: expected RFC 3339 or epoch milliseconds`,
      {
        issues: [{
          field: DEADLINE_HEADER,
          rule: "format",
          message: "expected RFC 3339 or epoch milliseconds",
        }],
      },
    );
  }
  return ms;
}

/** The deadline a request asks for (the earlier of both headers), or null. */
export function requestedDeadline(headers: Headers, now: number): number | null {
  const candidates: number[] = [];
  const absolute = headers.get(DEADLINE_HEADER);
  if (absolute !== null) candidates.push(parseDeadlineValue(absolute));
  const timeout = headers.get(TIMEOUT_HEADER);
  if (timeout !== null) {
    if (!/^\d{1,10}$/.test(timeout.trim()) || Number(timeout) <= 0) {
      throw new RbeeError("VALIDATION_ERROR", `Invalid ${TIMEOUT_HEADER}: expected a positive whole number`, {
        issues: [{
          field: TIMEOUT_HEADER,
          rule: "positive_integer",
          message: "expected a positive whole number",
        }],
      });
    }
    candidates.push(now + Number(timeout));
  }
  return candidates.length ? Math.min(...candidates) : null;
}

/** Limits a hop applies: a default when none is asked for, and a maximum. */
export interface DeadlinePolicy {
  defaultMs?: number;
  maxMs?: number;
}

/** The deadline this hop enforces: the request's, else the default, never past the maximum. */
export function effectiveDeadline(
  requested: number | null,
  now: number,
  policy: DeadlinePolicy,
): number | null {
  let deadline = requested ?? (policy.defaultMs !== undefined ? now + policy.defaultMs : null);
  if (policy.maxMs !== undefined) deadline = Math.min(deadline ?? Infinity, now + policy.maxMs);
  return deadline;
}

/** The error for a passed deadline. */
export function deadlineExceeded(): RbeeError {
  return new RbeeError("DEADLINE_EXCEEDED", "The request's deadline passed");
}

/** A signal that aborts (with DEADLINE_EXCEEDED) when the deadline passes — at once if it has; never, for null. */
export function deadlineSignal(deadline: number | null, now = Date.now()): AbortSignal {
  if (deadline === null) return new AbortController().signal;
  if (deadline <= now) return AbortSignal.abort(deadlineExceeded());
  const ctrl = new AbortController();
  const delay = deadline - now;
  const timer = setTimeout(() => ctrl.abort(deadlineExceeded()), delay);
  // A pending deadline must not keep a process alive on its own.
  Deno.unrefTimer(timer as unknown as number);
  return ctrl.signal;
}

/** Headers that forward `deadline` to the next hop. */
export function deadlineHeaders(deadline: number | null): Record<string, string> {
  return deadline === null ? {} : { [DEADLINE_HEADER]: String(deadline) };
}
