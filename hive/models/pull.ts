/**
 * `ensureModel`: makes a model reference available on disk in the transformers.js
 * ONNX layout, downloading it from the hub or importing a llama2.c checkpoint once.
 *
 * Concurrent calls for the same model share one download; a cached copy is used
 * without downloading, and also when the hub cannot be reached.
 */
import { join, resolve } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { type FileModelRef, formatModelRef, type HfModelRef, type ModelRef } from "../../shared/model_ref.ts";
import {
  downloadFile,
  type Hub,
  type HubFile,
  hubFromEnv,
  isCommitId,
  listModelFiles,
  resolveCommit,
} from "./hub_client.ts";
import { planModel } from "./model_format.ts";
import {
  buildAndInstall,
  fileModelDir,
  hfModelDir,
  isDir,
  listLocalFolder,
  type ModelFormat,
  readModelFormat,
  readRefCommit,
  writeRefCommit,
} from "./model_store.ts";
import { type Emit, shareJob, throttleProgress } from "./pull_job.ts";

/** A model ready on disk. */
export interface LocalModel {
  /** The canonical reference. */
  ref: string;
  /** Folder in the transformers.js/ONNX layout: config.json, tokenizer.json, onnx/model.onnx … */
  path: string;
  /** The hub commit, for `hf:` references. */
  commit?: string;
  format: ModelFormat;
}

/** One progress event of a pull; byte counts are per file. */
export interface PullProgress {
  stage: "resolving" | "downloading" | "verifying" | "importing" | "ready";
  file?: string;
  bytes_done?: number;
  bytes_total?: number;
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
}

interface PullContext {
  home: string;
  refText: string;
  signal: AbortSignal;
  emit: Emit<PullProgress>;
  importLlama2c: ImportFn;
}

// The hub did not answer definitively, so a complete local copy is still good to use.
const OFFLINE_CODES = new Set(["HUB_UNREACHABLE", "HUB_ERROR"]);

/** Makes `ref` available on disk, downloading or importing it when needed. */
export function ensureModel(ref: ModelRef, opts: EnsureModelOptions): Promise<LocalModel> {
  const home = resolve(opts.home);
  const refText = formatModelRef(ref);
  const key = `${home}\n${ref.kind === "file" ? "file:" + resolve(ref.path) : refText}`;
  return shareJob<LocalModel, PullProgress>(key, (signal, emit) => {
    const ctx = { home, refText, signal, emit: throttleProgress(emit), importLlama2c: opts.importLlama2c };
    return ref.kind === "hf" ? ensureHfModel(ref, hubFromEnv(opts.env), ctx) : ensureFileModel(ref, ctx);
  }, opts);
}

async function ensureHfModel(ref: HfModelRef, hub: Hub, ctx: PullContext): Promise<LocalModel> {
  ctx.emit({ stage: "resolving" });
  const commit = await resolveOrCached(ref, hub, ctx);
  const dir = hfModelDir(ctx.home, ref, commit);
  if (!(await isDir(dir))) await pullHfModel(ref, hub, commit, dir, ctx);
  if (ref.revision !== commit && (await readRefCommit(ctx.home, ref)) !== commit) {
    await writeRefCommit(ctx.home, ref, commit);
  }
  return ready(ctx, { ref: ctx.refText, path: dir, commit, format: await readModelFormat(dir) });
}

/** The commit to use: a pinned commit already on disk, the hub's answer, or the last known one offline. */
async function resolveOrCached(ref: HfModelRef, hub: Hub, ctx: PullContext): Promise<string> {
  if (isCommitId(ref.revision) && (await isDir(hfModelDir(ctx.home, ref, ref.revision)))) return ref.revision;
  try {
    return await resolveCommit(hub, ref, ctx.signal);
  } catch (err) {
    if (!(err instanceof RbeeError && OFFLINE_CODES.has(err.code))) throw err;
    const known = await readRefCommit(ctx.home, ref);
    if (known && (await isDir(hfModelDir(ctx.home, ref, known)))) return known;
    throw err;
  }
}

async function pullHfModel(ref: HfModelRef, hub: Hub, commit: string, dir: string, ctx: PullContext) {
  const files = await listModelFiles(hub, ref, commit, ctx.signal);
  const plan = planModel(files, ctx.refText);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const fetchFile = (path: string, dest: string) => download(hub, ref, commit, byPath.get(path)!, dest, ctx);
  await buildAndInstall(ctx.home, dir, { ref: ctx.refText, format: plan.format, commit }, async (staging) => {
    if (plan.format === "onnx") {
      for (const path of plan.files) await fetchFile(path, join(staging, ...path.split("/")));
      return;
    }
    // The sources stay beside the converted model so a newer importer can redo it offline.
    const checkpointPath = join(staging, "source", plan.checkpoint);
    const tokenizerPath = join(staging, "source", plan.tokenizer);
    await fetchFile(plan.checkpoint, checkpointPath);
    await fetchFile(plan.tokenizer, tokenizerPath);
    await importInto(ctx, { checkpointPath, tokenizerPath, outDir: staging });
  });
}

function download(hub: Hub, ref: HfModelRef, commit: string, file: HubFile, dest: string, ctx: PullContext) {
  ctx.emit({ stage: "downloading", file: file.path, bytes_done: 0, bytes_total: file.size });
  return downloadFile(hub, ref, commit, file, dest, {
    signal: ctx.signal,
    onProgress: (p) => ctx.emit({ ...p, file: file.path }),
  });
}

async function ensureFileModel(ref: FileModelRef, ctx: PullContext): Promise<LocalModel> {
  ctx.emit({ stage: "resolving" });
  const abs = resolve(ref.path);
  const plan = planModel(await listLocalFolder(abs, ctx.refText), ctx.refText);
  if (plan.format === "onnx") return ready(ctx, { ref: ctx.refText, path: abs, format: "onnx" });
  const dir = fileModelDir(ctx.home, abs);
  if (!(await isDir(dir))) {
    await buildAndInstall(
      ctx.home,
      dir,
      { ref: ctx.refText, format: "llama2c" },
      (staging) =>
        importInto(ctx, {
          checkpointPath: join(abs, plan.checkpoint),
          tokenizerPath: join(abs, plan.tokenizer),
          outDir: staging,
        }),
    );
  }
  return ready(ctx, { ref: ctx.refText, path: dir, format: "llama2c" });
}

async function importInto(ctx: PullContext, paths: Parameters<ImportFn>[0]): Promise<void> {
  ctx.emit({ stage: "importing" });
  ctx.signal.throwIfAborted();
  await ctx.importLlama2c(paths);
  ctx.signal.throwIfAborted();
}

function ready(ctx: PullContext, model: LocalModel): LocalModel {
  ctx.emit({ stage: "ready" });
  return model;
}
