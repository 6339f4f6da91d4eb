/**
 * Wires the hive's model store (hub downloads, llama2.c import) behind the
 * `ModelProvider` the routes use.
 */
import type { ModelProvider } from "./app.ts";
import type { HiveConfig } from "./config.ts";
import { ensureModel } from "./models/pull.ts";
import { importLlama2c } from "./llama2c/import.ts";
import { parseModelRef } from "../shared/model_ref.ts";
import type { Logger } from "../shared/log.ts";

/** The hive's model provider over `RBEE_HOME/models` and the configured hub. */
export function createModelProvider(config: HiveConfig, log: Logger): ModelProvider {
  return {
    async ensure(refText, onProgress, signal) {
      const ref = parseModelRef(refText);
      const model = await ensureModel(ref, {
        home: config.home,
        env: { HF_ENDPOINT: config.hfEndpoint, HF_TOKEN: config.hfToken },
        onProgress,
        signal,
        importLlama2c,
      });
      log.debug("Model available", { model: model.ref, format: model.format });
      return { ref: model.ref, path: model.path };
    },
  };
}
