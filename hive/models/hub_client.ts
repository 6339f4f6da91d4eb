/**
 * Client for the Hugging Face hub protocol: resolve a revision to its commit, list
 * a model folder, fetch one file (see download.ts for the resumable download). Honours `HF_ENDPOINT` and `HF_TOKEN`; the token
 * goes only to the endpoint's origin and never into a log line or an error message.
 */
import { RbeeError } from "../../shared/errors.ts";
import { formatModelRef, type HfModelRef } from "../../shared/model_ref.ts";

/** The hub used when `HF_ENDPOINT` is not set. */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** Where the hub is and the token to send it. */
export interface Hub {
  /** Base URL without a trailing slash (a mirror may live under a path). */
  endpoint: string;
  token?: string;
}

/** A file of a model folder on the hub. */
export interface HubFile {
  /** Path inside the model folder (the reference's subfolder), "/"-separated and checked safe. */
  path: string;
  /** Path inside the repository. */
  repoPath: string;
  size: number;
  /** The LFS object's sha256, for files stored in LFS. */
  sha256?: string;
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_REDIRECTS = 5;

/** True when `text` is a full git commit id, the only revision that never moves. */
export function isCommitId(text: string): boolean {
  return COMMIT.test(text);
}

/** Reads the hub settings from `HF_ENDPOINT` and `HF_TOKEN`. */
export function hubFromEnv(env: { HF_ENDPOINT?: string; HF_TOKEN?: string }): Hub {
  const endpoint = (env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT).replace(/\/+$/, "");
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch { /* reported below */ }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    // The value is not echoed: a mistyped endpoint may carry credentials.
    throw new RbeeError("HUB_UNREACHABLE", "HF_ENDPOINT is not an http(s) URL");
  }
  return { endpoint, token: env.HF_TOKEN?.trim() || undefined };
}

/** Resolves the reference's revision to a commit id. */
export async function resolveCommit(hub: Hub, ref: HfModelRef, signal?: AbortSignal): Promise<string> {
  const url = `${repoApi(hub, ref)}/revision/${encodeURIComponent(ref.revision)}`;
  const body = await readJson(await hubGet(hub, url, ref, undefined, signal), hub, ref);
  const sha = (body as { sha?: unknown } | null)?.sha;
  if (typeof sha !== "string" || !COMMIT.test(sha)) throw badAnswer(hub, ref, "an invalid commit id");
  return sha;
}

/** Lists every file under the reference's subfolder at `commit`, following the hub's pagination. */
export async function listModelFiles(
  hub: Hub,
  ref: HfModelRef,
  commit: string,
  signal?: AbortSignal,
): Promise<HubFile[]> {
  const sub = ref.subfolder ? "/" + encodePath(ref.subfolder) : "";
  let url: string | null = `${repoApi(hub, ref)}/tree/${commit}${sub}?recursive=true`;
  const files: HubFile[] = [];
  while (url) {
    const res = await hubGet(hub, url, ref, undefined, signal);
    const entries = await readJson(res, hub, ref);
    if (!Array.isArray(entries)) throw badAnswer(hub, ref, "a file listing that is not a list");
    for (const entry of entries) {
      const file = toHubFile(entry, ref);
      if (file) files.push(file);
    }
    url = nextPage(res.headers.get("link"), url);
  }
  return files;
}

/** Checks a listed path is safe to write inside the model folder; throws `INVALID_MODEL_FILE`. */
export function checkModelFilePath(path: string, refText: string): string {
  const parts = path.split("/");
  // Control characters are refused on purpose: they would corrupt a file name or a terminal.
  // deno-lint-ignore no-control-regex
  const unsafe = path.startsWith("/") || path.includes("\\") || /[\u0000-\u001f\u007f]/.test(path) ||
    /^[A-Za-z]:/.test(path) || parts.some((p) => p === "" || p === "." || p === "..");
  if (unsafe) {
    const shown = JSON.stringify(path.slice(0, 120)).slice(1, -1);
    throw new RbeeError("INVALID_MODEL_FILE", `Model '${refText}' lists an unsafe file path '${shown}'`);
  }
  return path;
}

/** Maps a hub error status to rbee's error; `hubCode` is the hub's `X-Error-Code`. */
export function hubStatusError(
  status: number,
  hubCode: string | null,
  ctx: { ref: string; file?: string; origin: string; hasToken: boolean },
): RbeeError {
  const details = {
    ref: ctx.ref,
    status,
    ...(hubCode && { hub_code: hubCode }),
    ...(ctx.file && { file: ctx.file }),
  };
  const what = ctx.file ? `File '${ctx.file}' of model '${ctx.ref}'` : `Model '${ctx.ref}'`;
  if (status === 401 || status === 403) {
    const hint = ctx.hasToken
      ? "check that HF_TOKEN can read this model (gated models need their terms accepted on the hub)"
      : "it may be private or gated: set HF_TOKEN to a token that can read it";
    return new RbeeError("MODEL_ACCESS_DENIED", `The hub denied access to '${ctx.ref}': ${hint}`, details);
  }
  if (status === 404) return new RbeeError("MODEL_NOT_FOUND", `${what} not found on the hub`, details);
  return new RbeeError(
    "HUB_ERROR",
    `The model hub at '${ctx.origin}' answered HTTP ${status} for '${ctx.ref}'`,
    details,
  );
}

/** GETs `url`, following redirects by hand so that the token never leaves the endpoint's origin. */
export async function hubGet(
  hub: Hub,
  url: string,
  ref: HfModelRef,
  file: string | undefined,
  signal?: AbortSignal,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const origin = new URL(hub.endpoint).origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers = new Headers(extraHeaders);
    if (hub.token && new URL(url).origin === origin) headers.set("authorization", `Bearer ${hub.token}`);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal, redirect: "manual" });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw err instanceof TypeError ? unreachable(url) : err;
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    if (res.ok) return res;
    await res.body?.cancel();
    const ctx = { ref: formatModelRef(ref), file, origin, hasToken: hub.token !== undefined };
    throw hubStatusError(res.status, res.headers.get("x-error-code"), ctx);
  }
  throw badAnswer(hub, ref, `more than ${MAX_REDIRECTS} redirects`);
}

function toHubFile(entry: unknown, ref: HfModelRef): HubFile | null {
  const e = entry as { type?: unknown; path?: unknown; size?: unknown; lfs?: { oid?: unknown } } | null;
  if (e?.type !== "file") return null;
  const refText = formatModelRef(ref);
  if (
    typeof e.path !== "string" || typeof e.size !== "number" || !Number.isSafeInteger(e.size) || e.size < 0
  ) {
    throw new RbeeError("HUB_ERROR", `The model hub listed a malformed file entry for '${refText}'`);
  }
  const prefix = ref.subfolder ? ref.subfolder + "/" : "";
  // A listed file outside the requested folder would land outside the model folder.
  const inside = e.path.startsWith(prefix) ? e.path.slice(prefix.length) : "/" + e.path;
  const path = checkModelFilePath(inside, refText);
  const oid = e.lfs?.oid;
  if (e.lfs && (typeof oid !== "string" || !SHA256.test(oid))) {
    throw new RbeeError("HUB_ERROR", `The model hub listed an invalid sha256 for '${path}' of '${refText}'`);
  }
  return { path, repoPath: e.path, size: e.size, ...(typeof oid === "string" && { sha256: oid }) };
}

async function readJson(res: Response, hub: Hub, ref: HfModelRef): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    throw badAnswer(hub, ref, "a body that is not JSON");
  }
}

function nextPage(link: string | null, current: string): string | null {
  const next = link && /<([^>]+)>\s*;\s*rel="next"/.exec(link);
  return next ? new URL(next[1], current).href : null;
}

function repoApi(hub: Hub, ref: HfModelRef): string {
  return `${hub.endpoint}/api/models/${ref.org}/${ref.repo}`;
}

/** The `resolve` URL of one file at one commit. */
export function resolveUrl(hub: Hub, ref: HfModelRef, commit: string, repoPath: string): string {
  return `${hub.endpoint}/${ref.org}/${ref.repo}/resolve/${commit}/${encodePath(repoPath)}`;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** `HUB_UNREACHABLE` naming only the origin of `url` (a path or query may carry secrets). */
export function unreachable(url: string, why = "the connection failed"): RbeeError {
  const origin = new URL(url).origin;
  return new RbeeError("HUB_UNREACHABLE", `Cannot reach the model hub at '${origin}': ${why}`, {
    endpoint: origin,
  });
}

function badAnswer(hub: Hub, ref: HfModelRef, what: string): RbeeError {
  const origin = new URL(hub.endpoint).origin;
  return new RbeeError(
    "HUB_ERROR",
    `The model hub at '${origin}' answered ${what} for '${formatModelRef(ref)}'`,
  );
}
