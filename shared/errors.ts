/**
 * The one error type that crosses the wire, its envelope and the table that maps
 * each code to an HTTP status.
 *
 * Programmer mistakes throw built-in errors; conditions a user or another role
 * must see throw `RbeeError`.
 */

/** Every error code rbee puts on the wire, with the HTTP status it maps to. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_MODEL_REF: 400,
  INVALID_MODEL_FILE: 422,
  INVALID_DEVICE: 400,
  MISSING_API_KEY: 401,
  INVALID_API_KEY: 401,
  MODEL_ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  WORKER_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  MODEL_IN_USE: 409,
  CHECKSUM_MISMATCH: 502,
  HUB_UNREACHABLE: 502,
  HUB_ERROR: 502,
  DOWNLOAD_STALLED: 504,
  WORKER_CRASHED: 502,
  WORKER_START_FAILED: 503,
  WORKER_CIRCUIT_OPEN: 503,
  LOADING_TIMEOUT: 504,
  INSUFFICIENT_RAM: 507,
  VRAM_EXHAUSTED: 507,
  MODEL_LOADING: 503,
  HIVE_UNAVAILABLE: 503,
  BACKEND_UNAVAILABLE: 503,
  ALL_SLOTS_BUSY: 503,
  DEADLINE_EXCEEDED: 504,
  INSUFFICIENT_DISK: 507,
  INTERNAL: 500,
} as const;

/** A code from {@link ERROR_STATUS}. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Details attached to an error; never a secret, a request body or a server path. */
export type ErrorDetails = Record<string, unknown>;

/** The JSON body of every error response. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: ErrorDetails };
}

/** A condition that crosses the wire: a code, a human message and optional details. */
export class RbeeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = "RbeeError";
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The wire envelope of this error. */
  toEnvelope(): ErrorEnvelope {
    const error: ErrorEnvelope["error"] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** True when `code` is one of rbee's error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && code in ERROR_STATUS;
}

/**
 * Turns anything thrown into an `RbeeError`; unknown errors become `INTERNAL`
 * with a generic message so that no internal detail (a path, a stack) leaks.
 */
export function toRbeeError(err: unknown): RbeeError {
  if (err instanceof RbeeError) return err;
  return new RbeeError("INTERNAL", "Internal error");
}

/** Builds an `RbeeError` from a parsed error envelope received from another role. */
export function fromEnvelope(body: unknown, fallbackStatus: number): RbeeError {
  const error = (body as Partial<ErrorEnvelope> | null)?.error;
  if (error && isErrorCode(error.code) && typeof error.message === "string") {
    return new RbeeError(error.code, error.message, error.details);
  }
  return new RbeeError("INTERNAL", `Unexpected response with HTTP status ${fallbackStatus}`);
}

/** A JSON error response for `err`, with its mapped status. */
export function errorResponse(err: RbeeError, headers?: HeadersInit): Response {
  return Response.json(err.toEnvelope(), { status: err.status, headers });
}
