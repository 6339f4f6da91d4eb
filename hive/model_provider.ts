/**
 * Wires the hive's model store (hub downloads, llama2.c import, the SQLite
 * catalog) behind the `ModelProvider` the routes use.
 */
import { resolve, sep } from "node:path";
import type { ModelProvider } from "./model_routes.ts";
import type { HiveConfig } from "./config.ts";
import { ensureModel, type LocalModel } from "./models/pull.ts";
import { Catalog, type CatalogEntry, folderSize } from "./models/catalog.ts";
import { downloadSettingsFromEnv } from "./models/download.ts";
import { freeBytes } from "./models/disk_space.ts";
import { removeStaleStaging } from "./models/model_store.ts";
import { importLlama2c } from "./llama2c/import.ts";
import type { ModelDtype, ModelInfo } from "../shared/contracts/models.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { RbeeError } from "../shared/errors.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import type { Logger } from "../shared/log.ts";

/** A worker as a model removal sees it. */
interface WorkerView {
  id: string;
  model: string;
  dtype?: string;
  state: string;
}

/** The workers a model removal may have to stop (the hive's Supervisor). */
export interface WorkerControl {
  list(): WorkerView[];
  stop(id: string): Promise<unknown>;
}

/** What the provider needs besides the configuration. */
export interface ModelProviderDeps {
  /** The environment: download retries and stall time (see download.ts), the disk test hook. */
  env?: Record<string, string | undefined>;
  workers?: WorkerControl;
}

const DONE_STATES = new Set(["stopped", "failed", "stopping"]);

/** The hive's model provider over `RBEE_HOME/models`, its catalog and the configured hub. */
export function createModelProvider(
  config: HiveConfig,
  log: Logger,
  deps: ModelProviderDeps = {},
): ModelProvider {
  const env = deps.env ?? {};
  const download = downloadSettingsFromEnv(env);
  // Opened now, so a missing or corrupt catalog is rebuilt (and logged) as the hive starts;
  // installs a crash interrupted are cleared first (their downloads stay, for resuming).
  const catalog = clearStaging(config.home, log).then(() => Catalog.open(config.home, log));
  catalog.catch((err) => log.error("Cannot open the model catalog", { error: String(err) }));
  const modelsRoot = resolve(config.home, "models") + sep;

  const fetchModel = async (
    refText: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
    dtype: ModelDtype = "fp32",
  ) => {
    const ref = parseModelRef(refText);
    const model = await ensureModel(ref, {
      home: config.home,
      env: { HF_ENDPOINT: config.hfEndpoint, HF_TOKEN: config.hfToken },
      onProgress,
      signal,
      importLlama2c,
      download,
      freeBytes: (dir) => freeBytes(dir, env),
      dtype,
    });
    await record(await catalog, model, dtype);
    log.debug("Model available", { model: model.ref, format: model.format, dtype });
    return model;
  };

  return {
    async ensure(refText, onProgress, signal, dtype = "fp32") {
      const model = await fetchModel(refText, onProgress, signal, dtype);
      (await catalog).touch(model.ref, dtype);
      return { ref: model.ref, path: model.path };
    },
    async pull(refText, onProgress, signal, dtype = "fp32") {
      const model = await fetchModel(refText, onProgress, signal, dtype);
      return { ref: model.ref, path: model.path };
    },
    async list() {
      return (await catalog).list().map(toInfo);
    },
    async show(refText, dtype) {
      return toInfo(entriesOf(await catalog, refText, dtype)[0]);
    },
    async remove(refText, force, dtype) {
      const cat = await catalog;
      const targets = entriesOf(cat, refText, dtype);
      const ref = targets[0].ref;
      // Other references (`@main`, `@<commit>`) may name the same folders: they go too.
      const sharing = targets.flatMap((t) => cat.byPath(t.path).filter((e) => e.dtype === t.dtype));
      const uses = (w: WorkerView) =>
        sharing.some((e) => e.ref === w.model && e.dtype === (w.dtype ?? "fp32"));
      const users = (deps.workers?.list() ?? []).filter((w) => uses(w) && !DONE_STATES.has(w.state));
      if (users.length && !force) {
        throw new RbeeError(
          "MODEL_IN_USE",
          `Model '${ref}' is used by ${users.length} worker(s); stop them first or use --force`,
          { ref, workers: users.map((w) => w.id) },
        );
      }
      for (const w of users) await deps.workers!.stop(w.id);
      for (const t of targets) {
        // A local ONNX folder is used in place: it is the user's, only forgotten, never deleted.
        if (resolve(t.path).startsWith(modelsRoot)) {
          await Deno.remove(t.path, { recursive: true }).catch(() => {});
        }
      }
      for (const e of sharing) cat.remove(e.ref, e.dtype);
      const dtypes = targets.map((t) => t.dtype);
      log.info("Model removed", { model: ref, dtypes, stopped_workers: users.length });
      return { ref, dtypes, stopped_workers: users.map((w) => w.id) };
    },
    // Closing folds SQLite's write-ahead log into hive.db and removes it.
    close: () => catalog.then((cat) => cat.close(), () => {}),
  };
}

async function clearStaging(home: string, log: Logger): Promise<void> {
  try {
    const removed = await removeStaleStaging(home);
    if (removed.length) log.info("Removed unfinished installs left by a crash", { folders: removed.length });
  } catch (err) {
    log.warn("Cannot clear unfinished installs", { error: String(err) });
  }
}

async function record(catalog: Catalog, model: LocalModel, dtype: ModelDtype): Promise<void> {
  const files = model.meta.files ?? [];
  catalog.upsert({
    ref: model.ref,
    commit: model.commit ?? null,
    format: model.format,
    dtype,
    path: model.path,
    size: await folderSize(model.path).catch(() => files.reduce((n, f) => n + f.size, 0)),
    files,
    pulled_at: model.meta.pulled_at ?? new Date().toISOString(),
    last_used: null,
  });
}

/** The installed entries of a reference (fp32 first), or only its `dtype`; never empty. */
function entriesOf(catalog: Catalog, refText: string, dtype?: ModelDtype): CatalogEntry[] {
  const ref = formatModelRef(parseModelRef(refText));
  const entries = catalog.get(ref, dtype);
  if (!entries.length) {
    const what = dtype ? `Model '${ref}' (${dtype})` : `Model '${ref}'`;
    throw new RbeeError("MODEL_NOT_FOUND", `${what} is not installed on this hive`, {
      ref,
      ...(dtype && { dtype }),
    });
  }
  return entries;
}

function toInfo(e: CatalogEntry): ModelInfo {
  const { path: _path, ...info } = e;
  return info;
}
