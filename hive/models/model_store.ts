/**
 * The model store under `RBEE_HOME/models`, laid out like the Hugging Face cache:
 *
 *     hf/<org>/<repo>/<subfolder or _>/<commit>/   a complete model folder (fp32)
 *     hf/<org>/<repo>/<subfolder or _>/<commit>-<dtype>/   the same in another precision
 *     hf/<org>/<repo>/<subfolder or _>/refs/<rev>  the commit a revision last resolved to
 *     file/<sha256 of the absolute path, 16 hex>/  a local llama2.c checkpoint, imported
 *     .tmp/<pid>-<random>/                         an install in progress, by process <pid>
 *     .downloads/hf/<org>/<repo>/<sub>/<commit>[-<dtype>]/   verified files and .part files
 *                                                  of a pull not yet installed (kept for resuming)
 *
 * A folder at its final path is always complete: installs are built under `.tmp/`
 * and renamed into place in one step.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import process from "node:process";
import { RbeeError } from "../../shared/errors.ts";
import type { HfModelRef } from "../../shared/model_ref.ts";
import { ModelDtype } from "../../shared/contracts/models.ts";
import { isCommitId } from "./hub_client.ts";
import type { ListedFile } from "./model_format.ts";

/** The formats a model folder can come from. */
export type ModelFormat = "onnx" | "llama2c";

/** One file of an installed model as the hub listed it. */
export interface ModelFileMeta {
  path: string;
  size: number;
  sha256?: string;
}

/** The record written into each installed folder, so a cached model needs no re-inspection. */
export interface ModelMeta {
  ref: string;
  format: ModelFormat;
  commit?: string;
  /** The files downloaded from the hub, verified. */
  files?: ModelFileMeta[];
  /** ISO time of the install. */
  pulled_at?: string;
  /** Weight precision of an ONNX model (fp32 when absent). */
  dtype?: ModelDtype;
}

/** The name of the record inside each installed folder. */
export const META_FILE = "rbee_model.json";

/** The folder holding every commit of one hub model (its subfolder encoded as one path segment). */
export function hfModelRoot(home: string, ref: HfModelRef): string {
  // Encoding keeps a nested subfolder from colliding with "refs" or a commit folder.
  const sub = ref.subfolder ? encodeURIComponent(ref.subfolder) : "_";
  return join(home, "models", "hf", ref.org, ref.repo, sub);
}

/** The folder of one hub model at one commit, in one precision. */
export function hfModelDir(
  home: string,
  ref: HfModelRef,
  commit: string,
  dtype: ModelDtype = "fp32",
): string {
  return join(hfModelRoot(home, ref), commitFolder(commit, dtype));
}

/** Where the files of a pull of `ref` at `commit` in `dtype` gather before they are installed. */
export function hfDownloadDir(
  home: string,
  ref: HfModelRef,
  commit: string,
  dtype: ModelDtype = "fp32",
): string {
  const sub = ref.subfolder ? encodeURIComponent(ref.subfolder) : "_";
  return join(home, "models", ".downloads", "hf", ref.org, ref.repo, sub, commitFolder(commit, dtype));
}

function commitFolder(commit: string, dtype: ModelDtype): string {
  if (!isCommitId(commit)) throw new Error(`Not a commit id: '${commit}'`);
  // fp32 keeps the bare commit, so folders installed before dtypes existed stay valid.
  return dtype === "fp32" ? commit : `${commit}-${dtype}`;
}

/** The folder a local llama2.c checkpoint at `absPath` is imported into. */
export function fileModelDir(home: string, absPath: string): string {
  const key = createHash("sha256").update(absPath).digest("hex").slice(0, 16);
  return join(home, "models", "file", key);
}

/** The commit the reference's revision last resolved to, or null when unknown. */
export async function readRefCommit(home: string, ref: HfModelRef): Promise<string | null> {
  try {
    const commit = (await Deno.readTextFile(refFile(home, ref))).trim();
    return isCommitId(commit) ? commit : null;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Records that the reference's revision resolves to `commit` (atomic replace). */
export async function writeRefCommit(home: string, ref: HfModelRef, commit: string): Promise<void> {
  const file = refFile(home, ref);
  await Deno.mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, commit + "\n");
  await Deno.rename(tmp, file);
}

/** True when `path` is an existing folder. */
export async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Builds a model folder under `.tmp/` with `build`, then renames it to `final`; cleans up on failure. */
export async function buildAndInstall(
  home: string,
  final: string,
  meta: ModelMeta,
  build: (staging: string) => Promise<void>,
): Promise<void> {
  const tmpRoot = join(home, "models", ".tmp");
  await Deno.mkdir(tmpRoot, { recursive: true });
  // Named after this process, so a later start can tell a crashed install from a running one.
  const staging = await Deno.makeTempDir({ dir: tmpRoot, prefix: `${Deno.pid}-` });
  try {
    await build(staging);
    await Deno.writeTextFile(join(staging, META_FILE), JSON.stringify(meta) + "\n");
    await Deno.mkdir(dirname(final), { recursive: true });
    try {
      await Deno.rename(staging, final);
    } catch (err) {
      // Another process installed the same model first; its folder is complete too.
      if (!(await isDir(final))) throw err;
    }
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Removes the staging folders under `models/.tmp` left by installs whose process is gone
 * (a crash or SIGKILL mid-install); returns their names. A folder of a live process (another
 * hive or `rbee` sharing this RBEE_HOME) is left alone.
 */
export async function removeStaleStaging(home: string): Promise<string[]> {
  const tmpRoot = join(home, "models", ".tmp");
  if (!(await isDir(tmpRoot))) return [];
  const removed: string[] = [];
  for await (const entry of Deno.readDir(tmpRoot)) {
    const pid = Number(/^(\d+)-/.exec(entry.name)?.[1]);
    // A folder without a pid predates the naming: nothing can still be writing it.
    if (pid === Deno.pid || (Number.isSafeInteger(pid) && isAlive(pid))) continue;
    await Deno.remove(join(tmpRoot, entry.name), { recursive: true });
    removed.push(entry.name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    // Signal 0 only asks whether the process exists.
    return process.kill(pid, 0);
  } catch (err) {
    // Only "no such process" means gone; EPERM (someone else's) or no permission to ask: keep.
    return (err as { code?: string }).code !== "ESRCH";
  }
}

/** The record of an installed folder, or null when it has none (or an unreadable one). */
export async function readModelMeta(dir: string): Promise<ModelMeta>;
export async function readModelMeta(dir: string, orNull: true): Promise<ModelMeta | null>;
export async function readModelMeta(dir: string, orNull = false): Promise<ModelMeta | null> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(join(dir, META_FILE))) as Partial<ModelMeta>;
    if (typeof meta.ref !== "string") throw new Error("no ref");
    const { dtype: _, ...rest } = meta;
    const dtype = ModelDtype.safeParse(meta.dtype).data;
    return {
      ...rest,
      ref: meta.ref,
      format: meta.format === "llama2c" ? "llama2c" : "onnx",
      ...(dtype && { dtype }),
    };
  } catch {
    // An install without a record predates it: it is an ONNX folder.
    return orNull ? null : { ref: "", format: "onnx" };
  }
}

/**
 * Lists a local model folder (its top level and `onnx/`) for `planModel`. Errors quote
 * the user's own reference, never the resolved path.
 */
export async function listLocalFolder(absPath: string, refText: string): Promise<ListedFile[]> {
  try {
    if (!(await Deno.stat(absPath)).isDirectory) {
      throw new RbeeError("INVALID_MODEL_FILE", `Model reference '${refText}' is not a folder`);
    }
    const files = await listFiles(absPath, "");
    return (await isDir(join(absPath, "onnx"))) ? files.concat(await listFiles(absPath, "onnx/")) : files;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new RbeeError("MODEL_NOT_FOUND", `Model folder not found for '${refText}'`);
    }
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      throw new RbeeError(
        "MODEL_ACCESS_DENIED",
        `Cannot read the model folder of '${refText}': permission denied`,
      );
    }
    throw err;
  }
}

async function listFiles(root: string, prefix: string): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  for await (const entry of Deno.readDir(join(root, prefix))) {
    // stat follows symlinks: model folders are often links into a download cache.
    const info = await Deno.stat(join(root, prefix, entry.name)).catch(() => null);
    if (info?.isFile) files.push({ path: prefix + entry.name, size: info.size });
  }
  return files;
}

function refFile(home: string, ref: HfModelRef): string {
  return join(hfModelRoot(home, ref), "refs", encodeURIComponent(ref.revision));
}
