/**
 * A local server that answers like huggingface.co for the parts rbee uses (the
 * revision and tree APIs and `resolve` downloads), serving a read-only folder in
 * the hub's `resolve` layout such as `../shared/hf-mirror` and its MANIFEST.json.
 *
 * Tests point `HF_ENDPOINT` at it; faults are injected here, never by mocking
 * the code under test.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** One file of a mirrored repository, as MANIFEST.json lists it. */
export interface MirrorFile {
  path: string;
  size: number;
  sha256?: string;
  lfs?: boolean;
  git_oid?: string;
}

/** One mirrored repository: its files live under `<root>/<id>/resolve/<revision>/`. */
export interface MirrorRepo {
  id: string;
  revision?: string;
  commit: string;
  files: MirrorFile[];
}

/** The shape of MANIFEST.json. */
export interface MirrorManifest {
  repos: MirrorRepo[];
}

/** What the hub saw of one request; the token itself is never kept. */
export interface HubRequest {
  method: string;
  path: string;
  authorized: boolean;
  /** The `Range` header, when the request had one. */
  range: string | null;
}

/** Middleware around the normal answer: return `next()`, change it, or answer something else. */
export type FaultHook = (req: HubRequest, next: () => Promise<Response>) => Response | Promise<Response>;

/** Forces an HTTP error status for every request whose path starts with `prefix`. */
export interface StatusOverride {
  prefix: string;
  status: 401 | 403 | 404 | 500 | 503;
}

/** Options of {@link startFakeHub}. */
export interface FakeHubOptions {
  /** Folder in the hub "resolve" layout; never written to. */
  root: string;
  /** Defaults to `<root>/MANIFEST.json`. */
  manifest?: MirrorManifest;
  status?: StatusOverride[];
  faults?: FaultHook;
  /** Answer every download with the whole file (200), as a server without Range support does. */
  ignoreRange?: boolean;
}

/** A running fake hub. */
export interface FakeHub {
  url: string;
  /** Request paths, in order. */
  requests: string[];
  /** Requests with their method and whether they carried a bearer token. */
  log: HubRequest[];
  close(): Promise<void>;
}

/** The mirror folder `../shared/hf-mirror` next to the repository, or null when it is absent. */
export function hfMirrorDir(): string | null {
  const dir = fileURLToPath(new URL("../../../shared/hf-mirror", import.meta.url));
  try {
    return Deno.statSync(join(dir, "MANIFEST.json")).isFile ? dir : null;
  } catch {
    return null;
  }
}

/** An origin on 127.0.0.1 where nothing listens, for "hub unreachable" tests. */
export function closedPortUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

/** The shared mirror for tests: its folder (null when absent), manifest and commit. */
export function mirrorFixture(): {
  dir: string | null;
  manifest: MirrorManifest;
  commit: string;
} {
  const dir = hfMirrorDir();
  const manifest: MirrorManifest = dir
    ? JSON.parse(Deno.readTextFileSync(join(dir, "MANIFEST.json")))
    : { repos: [] };
  // Tests that need the mirror are skipped without it, so "" never reaches a request.
  return { dir, manifest, commit: manifest.repos[0]?.commit ?? "" };
}

/** Starts a fake hub on 127.0.0.1 with a free port. */
export async function startFakeHub(opts: FakeHubOptions): Promise<FakeHub> {
  const manifest = opts.manifest ??
    JSON.parse(await Deno.readTextFile(join(opts.root, "MANIFEST.json"))) as MirrorManifest;
  const requests: string[] = [];
  const log: HubRequest[] = [];
  // Injected faults break response bodies on purpose; quiet the server's report of them.
  const onError = () => hubError(500, null, "Internal Error");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {}, onError }, (req) => {
    const path = new URL(req.url).pathname;
    // Only the presence of a token is recorded, so no test output can leak one.
    const authorized = /^Bearer \S+/.test(req.headers.get("authorization") ?? "");
    const info: HubRequest = { method: req.method, path, authorized, range: req.headers.get("range") };
    requests.push(path);
    log.push(info);
    const next = () => {
      const forced = opts.status?.find((s) => path.startsWith(s.prefix));
      if (forced) return Promise.resolve(forcedError(forced.status));
      return route(req, opts.root, manifest, opts.ignoreRange ?? false);
    };
    return opts.faults ? opts.faults(info, next) : next();
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    log,
    close: () => server.shutdown(),
  };
}

/** An error answer shaped like the hub's: JSON body plus `X-Error-Code`/`X-Error-Message`. */
export function hubError(status: number, code: string | null, message: string): Response {
  const headers: Record<string, string> = { "x-error-message": message };
  if (code) headers["x-error-code"] = code;
  return Response.json({ error: message }, { status, headers });
}

function forcedError(status: number): Response {
  if (status === 401) return hubError(401, null, "Invalid credentials in Authorization header");
  if (status === 403) return hubError(403, "GatedRepo", "Access to this model is restricted");
  if (status === 404) return hubError(404, "EntryNotFound", "Entry not found");
  return hubError(status, null, "Internal Error - We're working hard to fix this as soon as possible!");
}

interface Target {
  repo: MirrorRepo;
  rest: string[];
}

async function route(
  req: Request,
  root: string,
  manifest: MirrorManifest,
  ignoreRange: boolean,
): Promise<Response> {
  let segs: string[];
  try {
    segs = new URL(req.url).pathname.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return hubError(400, null, "Bad request");
  }
  const isApi = segs[0] === "api" && segs[1] === "models";
  const [org, name, kind, rev, ...rest] = isApi ? segs.slice(2) : segs;
  const repo = manifest.repos.find((r) => r.id === `${org}/${name}`);
  if (!repo) return hubError(404, "RepoNotFound", "Repository not found");
  if (rev !== repo.commit && rev !== (repo.revision ?? "main")) {
    return hubError(404, "RevisionNotFound", "Invalid rev id: " + rev);
  }
  const target = { repo, rest };
  if (isApi && kind === "revision" && rest.length === 0) return revisionInfo(repo);
  if (isApi && kind === "tree") return await tree(target, root, new URL(req.url).searchParams);
  if (!isApi && kind === "resolve") return await resolve(req, target, root, ignoreRange);
  return hubError(404, null, "Sorry, we can't find the page you are looking for.");
}

function revisionInfo(repo: MirrorRepo): Response {
  const siblings = repo.files.map((f) => ({ rfilename: f.path }));
  return Response.json({
    _id: repo.commit.slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    sha: repo.commit,
    siblings,
  });
}

async function tree(target: Target, root: string, params: URLSearchParams): Promise<Response> {
  const dir = target.rest.filter((s) => s !== "").join("/");
  const prefix = dir ? dir + "/" : "";
  const recursive = params.get("recursive") === "true";
  const inside = target.repo.files.filter((f) => f.path.startsWith(prefix));
  if (dir && inside.length === 0) return hubError(404, "EntryNotFound", `${dir} does not exist on "main"`);
  const dirs = new Set<string>();
  const entries: unknown[] = [];
  for (const file of inside) {
    const parts = file.path.slice(prefix.length).split("/");
    const depth = recursive ? parts.length - 1 : Math.min(1, parts.length - 1);
    for (let i = 1; i <= depth; i++) dirs.add(prefix + parts.slice(0, i).join("/"));
    if (recursive || parts.length === 1) entries.push(await treeFile(target.repo, file, root));
  }
  const dirEntries = [...dirs].map((path) => ({ type: "directory", oid: sha1(path), size: 0, path }));
  return Response.json([...dirEntries, ...entries]);
}

async function treeFile(repo: MirrorRepo, file: MirrorFile, root: string): Promise<unknown> {
  if (file.lfs && file.sha256) {
    // As on the hub, an LFS file's git object is its pointer, not its content (never read here).
    const pointer = lfsPointer(file.sha256, file.size);
    const oid = file.git_oid ?? gitBlobOidOf(new TextEncoder().encode(pointer));
    const lfs = { oid: file.sha256, size: file.size, pointerSize: pointer.length };
    return { type: "file", oid, size: file.size, path: file.path, lfs };
  }
  const oid = file.git_oid ?? await gitBlobOid(repo, file, root);
  return { type: "file", oid, size: file.size, path: file.path };
}

function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

async function resolve(req: Request, target: Target, root: string, ignoreRange: boolean): Promise<Response> {
  const path = target.rest.join("/");
  const file = target.repo.files.find((f) => f.path === path);
  if (!file) return hubError(404, "EntryNotFound", "Entry not found");
  if (file.lfs && file.sha256 && file.size > STREAM_ABOVE && !ignoreRange) {
    return await streamed(req, target.repo, file, root);
  }
  const bytes = await readMirrorFile(target.repo, file, root).catch(() => null);
  if (!bytes) return hubError(404, "EntryNotFound", "Entry not found");
  const etag = file.lfs && file.sha256
    ? file.sha256
    : file.git_oid ?? await gitBlobOid(target.repo, file, root);
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    "accept-ranges": "bytes",
    "etag": `"${etag}"`,
    "x-repo-commit": target.repo.commit,
  };
  if (file.lfs && file.sha256) {
    headers["x-linked-etag"] = `"${file.sha256}"`;
    headers["x-linked-size"] = String(bytes.length);
  }
  if (ignoreRange) {
    headers["content-length"] = String(bytes.length);
    return new Response(req.method === "HEAD" ? null : bytes, { headers });
  }
  return ranged(req, bytes, headers);
}

// Large files (benchmarks) are streamed from disk, so the hub's memory does not grow with them.
const STREAM_ABOVE = 16 * 1024 * 1024;

/** Like {@link ranged}, reading the (LFS) file from disk as the client consumes it. */
async function streamed(req: Request, repo: MirrorRepo, file: MirrorFile, root: string): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    "accept-ranges": "bytes",
    "etag": `"${file.sha256}"`,
    "x-repo-commit": repo.commit,
    "x-linked-etag": `"${file.sha256}"`,
    "x-linked-size": String(file.size),
  };
  const range = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
  const start = range ? Number(range[1]) : 0;
  if (start >= file.size) {
    return new Response(null, { status: 416, headers: { "content-range": `bytes */${file.size}` } });
  }
  if (range) headers["content-range"] = `bytes ${start}-${file.size - 1}/${file.size}`;
  headers["content-length"] = String(file.size - start);
  const fh = await Deno.open(
    join(root, ...repo.id.split("/"), "resolve", repo.revision ?? "main", ...file.path.split("/")),
  );
  await fh.seek(start, Deno.SeekMode.Start);
  return new Response(req.method === "HEAD" ? (fh.close(), null) : fh.readable, {
    status: range ? 206 : 200,
    headers,
  });
}

/** Answers the whole file, or the part a `Range: bytes=N-[M]` header asks for. */
function ranged(req: Request, bytes: Uint8Array<ArrayBuffer>, headers: Record<string, string>): Response {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get("range") ?? "");
  let status = 200;
  let body = bytes;
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    if (start >= bytes.length || start > end) {
      return new Response(null, { status: 416, headers: { "content-range": `bytes */${bytes.length}` } });
    }
    status = 206;
    body = bytes.subarray(start, end + 1);
    headers["content-range"] = `bytes ${start}-${end}/${bytes.length}`;
  }
  headers["content-length"] = String(body.length);
  return new Response(req.method === "HEAD" ? null : body, { status, headers });
}

function readMirrorFile(repo: MirrorRepo, file: MirrorFile, root: string): Promise<Uint8Array<ArrayBuffer>> {
  // Paths that could leave the mirror are never read, whatever a test manifest lists.
  if (file.path.split("/").some((s) => s === ".." || s === "") || file.path.includes("\\")) {
    return Promise.reject(new Error("unsafe mirror path"));
  }
  return Deno.readFile(
    join(root, ...repo.id.split("/"), "resolve", repo.revision ?? "main", ...file.path.split("/")),
  );
}

async function gitBlobOid(repo: MirrorRepo, file: MirrorFile, root: string): Promise<string> {
  return gitBlobOidOf(await readMirrorFile(repo, file, root).catch(() => new Uint8Array()));
}

function gitBlobOidOf(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
