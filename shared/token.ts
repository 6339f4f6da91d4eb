/**
 * API tokens: where a daemon or client gets its token (a file, a systemd
 * credential, or the environment), the rules a token must meet, timing-safe
 * comparison, and the fingerprint that stands for a token in logs.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Buffer } from "node:buffer";
import { RbeeError } from "./errors.ts";

/** Shortest token accepted. */
export const MIN_TOKEN_LENGTH = 16;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

// The expected token changes only on reload: hash it once, not per request.
let cachedExpected: { token: string; digest: Buffer; fingerprint: string } | null = null;
function expectedDigest(token: string) {
  if (cachedExpected?.token !== token) {
    const digest = sha256(token);
    cachedExpected = { token, digest, fingerprint: digest.toString("hex").slice(0, 6) };
  }
  return cachedExpected;
}

/** First 6 hex characters of the token's SHA-256: how logs and audit records name a token. */
export function fingerprint(token: string): string {
  return expectedDigest(token).fingerprint;
}

/** True when `given` equals `expected`, in time independent of where they differ. */
export function tokensMatch(given: string, expected: string): boolean {
  // Comparing digests gives equal lengths, so timingSafeEqual never leaks the length either.
  return timingSafeEqual(sha256(given), expectedDigest(expected).digest);
}

/** Checks a token's shape; `source` names where it came from (never the token). */
export function validateToken(raw: string, source: string): string {
  const lines = raw.replace(/\r?\n$/, "").split(/\r?\n/);
  if (lines.length > 1) throw invalidToken(source, "it has more than one line");
  const token = lines[0].trim();
  if (!token) throw invalidToken(source, "it is empty");
  if (/\s/.test(token)) throw invalidToken(source, "it contains whitespace");
  if (token.length < MIN_TOKEN_LENGTH) {
    throw invalidToken(source, `it is shorter than ${MIN_TOKEN_LENGTH} characters`);
  }
  return token;
}

function invalidToken(source: string, why: string): RbeeError {
  return new RbeeError("VALIDATION_ERROR", `Token from ${source} is not usable: ${why}`);
}

/** Where a role looks for its token, in order. */
export interface TokenSources {
  /** `--token-file`. */
  file?: string;
  /** Name of the systemd credential under `CREDENTIALS_DIRECTORY`. */
  credential: string;
  /** Environment variable holding the token itself. */
  envVar: string;
  /** Environment variable naming a token file. */
  fileEnvVar?: string;
}

/** Reads a token file, refusing one that its group or others can read. */
export function readTokenFile(path: string, label = "the token file"): string {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new RbeeError("VALIDATION_ERROR", `Cannot read ${label}`);
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new RbeeError(
      "VALIDATION_ERROR",
      `Refusing ${label}: it is readable by group or others (mode ${
        (info.mode & 0o777).toString(8)
      }); chmod 600 it`,
    );
  }
  return validateToken(Deno.readTextFileSync(path), label);
}

/** Finds the token: token file, then systemd credential, then environment; null when none is configured. */
export function loadToken(sources: TokenSources, env: Record<string, string | undefined>): string | null {
  const file = sources.file ?? (sources.fileEnvVar ? env[sources.fileEnvVar] : undefined);
  if (file) return readTokenFile(file);
  const credDir = env.CREDENTIALS_DIRECTORY;
  if (credDir) {
    const path = `${credDir}/${sources.credential}`;
    try {
      Deno.statSync(path);
      return validateToken(Deno.readTextFileSync(path), `systemd credential '${sources.credential}'`);
    } catch (err) {
      if (err instanceof RbeeError) throw err;
    }
  }
  const value = env[sources.envVar];
  return value ? validateToken(value, `environment variable ${sources.envVar}`) : null;
}

/** A fresh random token for a child daemon the user never sees. */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
