/**
 * `ensureModel`: makes a model reference available on disk in the transformers.js
 * ONNX layout, downloading it from the hub or importing a llama2.c checkpoint once.
 *
 * Concurrent calls for the same model share one download; a cached copy is used
 * without downloading, and also when the hub cannot be reached.
 */
import { dirname, join, resolve } from "node:path";
import type { ModelDtype } from "../../shared/contracts/models.ts";
import { RbeeError } from "../../shared/errors.ts";
import { type FileModelRef, formatModelRef, type HfModelRef, type ModelRef } from "../../shared/model_ref.ts";
import {
  type Hub,
  type HubFile,
  hubFromEnv,
  isCommitId,
  listModelFiles,
  resolveCommit,
} from "./hub_client.ts";
import { checkDiskSpace, freeBytes } from "./disk_space.ts";
import { isDiskFull } from "./disk_write.ts";
import { DEFAULT_DOWNLOAD_SETTINGS, downloadFile, type DownloadSettings } from "./download.ts";
import { type ModelPlan, planModel } from "./model_format.ts";
import {
  buildAndInstall,
  fileModelDir,
  hfDownloadDir,
  hfModelDir,
  isDir,
  listLocalFolder,
  type ModelFormat,
  type ModelMeta,
  readModelMeta,
  readRefCommit,
  writeRefCommit,
} from "./model_store.ts";
import { eachLimited, type Emit, Semaphore, shareJob, throttleProgress } from "./pull_job.ts";
import { TotalProgress } from "./progress_meter.ts";

/** A model ready on disk. */
export interface LocalModel {
  /** The canonical reference. */
  ref: string;
  /** Folder in the transformers.js/ONNX layout: config.json, tokenizer.json, onnx/model.onnx … */
  path: string;
  /** The hub commit, for `hf:` references. */
  commit?: string;
  format: ModelFormat;
  /** What the folder's record says: files with sizes and sha256, when it was pulled. */
  meta: ModelMeta;
}

/** One progress event of a pull: `bytes_*` count the current file, `total_*` the whole pull. */
export interface PullProgress {
  stage: "resolving" | "downloading" | "verifying" | "importing" | "ready";
  file?: string;
  bytes_done?: number;
  bytes_total?: number;
  total_done?: number;
  total_bytes?: number;
  /** Bytes per second over the last few seconds. */
  speed_bps?: number;
  /** Seconds left at that speed; absent while unknown. */
  eta_s?: number;
}

/** Converts a llama2.c checkpoint and tokenizer into an ONNX model folder at `outDir`. */
export type ImportFn = (
  opts: { checkpointPath: string; tokenizerPath: string; outDir: string },
) => Promise<unknown>;

/** Options of {@link ensureModel}. */
export interface EnsureModelOptions {
  /** RBEE_HOME; models live in `<home>/models`. */
  home: string;
  env: { HF_ENDPOINT?: string; HF_TOKEN?: string };
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  importLlama2c: ImportFn;
  /** Retries and stall detection of each file's download. */
  download?: DownloadSettings;
  /** Bytes free on the filesystem of a folder (defaults to the real figure). */
  freeBytes?: (dir: string) => Promise<number>;
  /** Weight precision: only its ONNX variant is fetched (default fp32). */
  dtype?: ModelDtype;
}

interface PullContext {
  home: string;
  refText: string;
  signal: AbortSignal;
  emit: Emit<PullProgress>;
  importLlama2c: ImportFn;
  download: DownloadSettings;
  freeBytes: (dir: string) => Promise<number>;
  dtype: ModelDtype;
}

/** How many different models download at once; more wait their turn. */
export const PULL_CONCURRENCY = 3;
/**
 * Files of one model downloaded at once: small files then cost no round trips of their
 * own, and weights split over several files arrive side by side.
 */
export const FILES_AT_ONCE = 4;
const pullSlots = new Semaphore(PULL_CONCURRENCY);

// The hub did not answer definitively, so a complete local copy is still good to use.
const OFFLINE_CODES = new Set(["HUB_UNREACHABLE", "HUB_ERROR"]);

/** Makes `ref` available on disk, downloading or importing it when needed. */
export function ensureModel(ref: ModelRef, opts: EnsureModelOptions): Promise<LocalModel> {
  const home = resolve(opts.home);
  const refText = formatModelRef(ref);
  const dtype = opts.dtype ?? "fp32";
  const key = `${home}\n${ref.kind === "file" ? "file:" + resolve(ref.path) : refText}\n${dtype}`;
  return shareJob<LocalModel, PullProgress>(key, (signal, emit) => {
    const ctx: PullContext = {
      home,
      refText,
      signal,
      emit: throttleProgress(emit),
      importLlama2c: opts.importLlama2c,
      download: opts.download ?? DEFAULT_DOWNLOAD_SETTINGS,
      freeBytes: opts.freeBytes ?? ((dir) => freeBytes(dir)),
      dtype,
    };
    return ref.kind === "hf" ? ensureHfModel(ref, hubFromEnv(opts.env), ctx) : ensureFileModel(ref, ctx);
  }, opts);
}

async function ensureHfModel(ref: HfModelRef, hub: Hub, ctx: PullContext): Promise<LocalModel> {
  ctx.emit({ stage: "resolving" });
  const commit = await resolveOrCached(ref, hub, ctx);
  const dir = hfModelDir(ctx.home, ref, commit, ctx.dtype);
  if (!(await isDir(dir))) await pullHfModel(ref, hub, commit, dir, ctx);
  if (ref.revision !== commit && (await readRefCommit(ctx.home, ref)) !== commit) {
    await writeRefCommit(ctx.home, ref, commit);
  }
  const meta = await readModelMeta(dir);
  return ready(ctx, { ref: ctx.refText, path: dir, commit, format: meta.format, meta });
}

/** The commit to use: a pinned commit already on disk, the hub's answer, or the last known one offline. */
async function resolveOrCached(ref: HfModelRef, hub: Hub, ctx: PullContext): Promise<string> {
  if (isCommitId(ref.revision) && (await isDir(hfModelDir(ctx.home, ref, ref.revision, ctx.dtype)))) {
    return ref.revision;
  }
  try {
    return await resolveCommit(hub, ref, ctx.signal);
  } catch (err) {
    if (!(err instanceof RbeeError && OFFLINE_CODES.has(err.code))) throw err;
    const known = await readRefCommit(ctx.home, ref);
    if (known && (await isDir(hfModelDir(ctx.home, ref, known, ctx.dtype)))) return known;
    throw err;
  }
}

async function pullHfModel(ref: HfModelRef, hub: Hub, commit: string, dir: string, ctx: PullContext) {
  const files = await listModelFiles(hub, ref, commit, ctx.signal);
  const plan = planModel(files, ctx.refText, ctx.dtype);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const wanted = planFiles(plan).map((path) => byPath.get(path)!);
  // Downloads outlive a failed or killed pull, so the next one resumes instead of starting over.
  const downloads = hfDownloadDir(ctx.home, ref, commit, ctx.dtype);
  const local = (path: string) => join(downloads, ...path.split("/"));
  await pullSlots.run(ctx.signal, async () => {
    await Deno.mkdir(downloads, { recursive: true });
    await checkSpace(ctx, downloads, wanted, plan, local);
    const total = new TotalProgress(wanted, ctx.emit);
    await eachLimited(
      wanted,
      FILES_AT_ONCE,
      ctx.signal,
      (file, signal) => download(hub, ref, commit, file, local(file.path), { ...ctx, signal }, total),
    );
  });
  const meta: ModelMeta = {
    ref: ctx.refText,
    format: plan.format,
    commit,
    files: wanted.map((f) => ({ path: f.path, size: f.size, ...(f.sha256 && { sha256: f.sha256 }) })),
    pulled_at: new Date().toISOString(),
    dtype: ctx.dtype,
  };
  await buildAndInstall(ctx.home, dir, meta, async (staging) => {
    if (plan.format === "onnx") {
      for (const path of plan.files) await moveInto(local(path), join(staging, ...path.split("/")));
      return;
    }
    // The importer reads the downloads in place, so a failed import downloads nothing again.
    await importInto(ctx, {
      checkpointPath: local(plan.checkpoint),
      tokenizerPath: local(plan.tokenizer),
      outDir: staging,
    });
    // The sources stay beside the converted model so a newer importer can redo it offline.
    for (const path of [plan.checkpoint, plan.tokenizer]) {
      await moveInto(local(path), join(staging, "source", path));
    }
  });
  await Deno.remove(downloads, { recursive: true }).catch(() => {});
  await pruneEmptyParents(downloads, join(ctx.home, "models", ".downloads"));
}

/** Removes the now-empty folders between `dir` and `stop` (exclusive). */
async function pruneEmptyParents(dir: string, stop: string): Promise<void> {
  for (let d = dirname(dir); d.startsWith(stop + "/"); d = dirname(d)) {
    // Deno.remove refuses a folder that is not empty, which ends the walk.
    if (!(await Deno.remove(d).then(() => true, () => false))) return;
  }
}

/** The hub files a plan needs. */
function planFiles(plan: ModelPlan): string[] {
  return plan.format === "onnx" ? plan.files : [plan.checkpoint, plan.tokenizer];
}

/** Refuses with INSUFFICIENT_DISK unless what is left to download (and to import) fits. */
async function checkSpace(
  ctx: PullContext,
  dir: string,
  wanted: HubFile[],
  plan: ModelPlan,
  local: (path: string) => string,
): Promise<void> {
  let needed = 0;
  for (const file of wanted) {
    const done = (await sizeOf(local(file.path))) === file.size
      ? file.size
      : (await sizeOf(local(file.path) + ".part")) ?? 0;
    needed += Math.max(0, file.size - done);
  }
  // The importer writes the weights again, as ONNX, about the checkpoint's size.
  if (plan.format === "llama2c") needed += wanted.find((f) => f.path === plan.checkpoint)!.size;
  checkDiskSpace(needed, await ctx.freeBytes(dir), ctx.refText);
}

async function download(
  hub: Hub,
  ref: HfModelRef,
  commit: string,
  file: HubFile,
  dest: string,
  ctx: PullContext,
  total: TotalProgress,
) {
  total.report({ stage: "downloading", file: file.path, bytes_done: 0, bytes_total: file.size });
  await downloadFile(hub, ref, commit, file, dest, {
    signal: ctx.signal,
    settings: ctx.download,
    onProgress: (p) => total.report({ ...p, file: file.path }),
  });
}

async function moveInto(from: string, to: string): Promise<void> {
  await Deno.mkdir(dirname(to), { recursive: true });
  await Deno.rename(from, to);
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return null;
  }
}

async function ensureFileModel(ref: FileModelRef, ctx: PullContext): Promise<LocalModel> {
  ctx.emit({ stage: "resolving" });
  const abs = resolve(ref.path);
  const plan = planModel(await listLocalFolder(abs, ctx.refText), ctx.refText, ctx.dtype);
  if (plan.format === "onnx") {
    return ready(ctx, {
      ref: ctx.refText,
      path: abs,
      format: "onnx",
      meta: { ref: ctx.refText, format: "onnx", dtype: ctx.dtype },
    });
  }
  const dir = fileModelDir(ctx.home, abs);
  if (!(await isDir(dir))) {
    await buildAndInstall(
      ctx.home,
      dir,
      { ref: ctx.refText, format: "llama2c", pulled_at: new Date().toISOString() },
      (staging) =>
        importInto(ctx, {
          checkpointPath: join(abs, plan.checkpoint),
          tokenizerPath: join(abs, plan.tokenizer),
          outDir: staging,
        }),
    );
  }
  return ready(ctx, { ref: ctx.refText, path: dir, format: "llama2c", meta: await readModelMeta(dir) });
}

async function importInto(ctx: PullContext, paths: Parameters<ImportFn>[0]): Promise<void> {
  ctx.emit({ stage: "importing" });
  ctx.signal.throwIfAborted();
  try {
    await ctx.importLlama2c(paths);
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    throw new RbeeError(
      "INSUFFICIENT_DISK",
      `The disk filled up while importing '${ctx.refText}'; free some space and pull again ` +
        `(the downloaded files are kept)`,
      { ref: ctx.refText },
    );
  }
  ctx.signal.throwIfAborted();
}

function ready(ctx: PullContext, model: LocalModel): LocalModel {
  ctx.emit({ stage: "ready" });
  return model;
}
