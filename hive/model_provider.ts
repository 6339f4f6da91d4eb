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
import { importLlama2c } from "./llama2c/import.ts";
import type { ModelInfo } from "../shared/contracts/models.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { RbeeError } from "../shared/errors.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import type { Logger } from "../shared/log.ts";

/** The workers a model removal may have to stop (the hive's Supervisor). */
export interface WorkerControl {
  list(): { id: string; model: string; state: string }[];
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
  // Opened now, so a missing or corrupt catalog is rebuilt (and logged) as the hive starts.
  const catalog = Catalog.open(config.home, log);
  catalog.catch((err) => log.error("Cannot open the model catalog", { error: String(err) }));
  const modelsRoot = resolve(config.home, "models") + sep;

  const fetchModel = async (
    refText: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
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
    });
    await record(await catalog, model);
    log.debug("Model available", { model: model.ref, format: model.format });
    return model;
  };

  return {
    async ensure(refText, onProgress, signal) {
      const model = await fetchModel(refText, onProgress, signal);
      (await catalog).touch(model.ref);
      return { ref: model.ref, path: model.path };
    },
    async pull(refText, onProgress, signal) {
      const model = await fetchModel(refText, onProgress, signal);
      return { ref: model.ref, path: model.path };
    },
    async list() {
      return (await catalog).list().map(toInfo);
    },
    async show(refText) {
      return toInfo(entryOf(await catalog, refText));
    },
    async remove(refText, force) {
      const cat = await catalog;
      const entry = entryOf(cat, refText);
      const sharing = cat.byPath(entry.path).map((e) => e.ref);
      const users = (deps.workers?.list() ?? []).filter((w) =>
        sharing.includes(w.model) && !DONE_STATES.has(w.state)
      );
      if (users.length && !force) {
        throw new RbeeError(
          "MODEL_IN_USE",
          `Model '${entry.ref}' is used by ${users.length} worker(s); stop them first or use --force`,
          { ref: entry.ref, workers: users.map((w) => w.id) },
        );
      }
      for (const w of users) await deps.workers!.stop(w.id);
      // A local ONNX folder is used in place: it is the user's, only forgotten, never deleted.
      if (resolve(entry.path).startsWith(modelsRoot)) {
        await Deno.remove(entry.path, { recursive: true }).catch(() => {});
      }
      for (const ref of sharing) cat.remove(ref);
      log.info("Model removed", { model: entry.ref, stopped_workers: users.length });
      return { ref: entry.ref, stopped_workers: users.map((w) => w.id) };
    },
  };
}

async function record(catalog: Catalog, model: LocalModel): Promise<void> {
  const files = model.meta.files ?? [];
  catalog.upsert({
    ref: model.ref,
    commit: model.commit ?? null,
    format: model.format,
    dtype: model.meta.dtype ?? "fp32",
    path: model.path,
    size: await folderSize(model.path).catch(() => files.reduce((n, f) => n + f.size, 0)),
    files,
    pulled_at: model.meta.pulled_at ?? new Date().toISOString(),
    last_used: null,
  });
}

function entryOf(catalog: Catalog, refText: string): CatalogEntry {
  const ref = formatModelRef(parseModelRef(refText));
  const entry = catalog.get(ref);
  if (!entry) throw new RbeeError("MODEL_NOT_FOUND", `Model '${ref}' is not installed on this hive`, { ref });
  return entry;
}

function toInfo(e: CatalogEntry): ModelInfo {
  const { path: _path, ...info } = e;
  return info;
}
