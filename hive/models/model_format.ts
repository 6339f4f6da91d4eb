/**
 * Which of the two loadable formats a model folder is in, decided from its file
 * listing alone, so that the same rule serves hub folders and local folders.
 */
import { DTYPE_ONNX_FILE, ModelDtype } from "../../shared/contracts/models.ts";
import { RbeeError } from "../../shared/errors.ts";

/** A file of a model folder: its path inside the folder ("/"-separated) and size. */
export interface ListedFile {
  path: string;
  size: number;
}

/** What to fetch for a model: ONNX files used as they are, or a llama2.c pair to import. */
export type ModelPlan =
  | { format: "onnx"; files: string[] }
  | { format: "llama2c"; checkpoint: string; tokenizer: string };

const ONNX_REQUIRED = ["config.json", "tokenizer.json"];
const ONNX_OPTIONAL = ["generation_config.json", "tokenizer_config.json"];
const ANY_ONNX = /^onnx\/[^/]+\.onnx$/;
const TOKENIZER_BIN = /^tok[^/]*\.bin$/i;
// PyTorch files share the .bin suffix but are not llama2.c checkpoints.
const NOT_CHECKPOINT = /^(pytorch_model.*|training_args)\.bin$/i;

/**
 * Decides the format of a model folder from its listing, and which files the `dtype`
 * needs (only its ONNX variant, never the others); throws `INVALID_MODEL_FILE` when the
 * folder is neither format or lacks the variant.
 */
export function planModel(files: ListedFile[], refText: string, dtype: ModelDtype = "fp32"): ModelPlan {
  const paths = new Set(files.map((f) => f.path));
  if (paths.has("config.json") && files.some((f) => ANY_ONNX.test(f.path))) {
    const graph = DTYPE_ONNX_FILE[dtype];
    const missing = ONNX_REQUIRED.find((p) => !paths.has(p));
    if (missing) {
      throw new RbeeError("INVALID_MODEL_FILE", `Model '${refText}' has no '${missing}' in its ONNX layout`);
    }
    if (!paths.has(graph)) {
      const has = ModelDtype.options.filter((d) => paths.has(DTYPE_ONNX_FILE[d]));
      throw new RbeeError(
        "INVALID_MODEL_FILE",
        `Model '${refText}' has no ${dtype} variant ('${graph}') in its ONNX layout; ` +
          (has.length ? `it has ${has.join(", ")}` : "it has none that rbee loads (fp32, fp16, q8, q4)"),
        { dtype, file: graph, available: has },
      );
    }
    // Large models keep their weights beside the graph, in one or several data files.
    const data = new RegExp(`^${graph.replaceAll(".", "\\.")}_data(_\\d+)?$`);
    const extra = [...ONNX_OPTIONAL.filter((p) => paths.has(p)), ...[...paths].filter((p) => data.test(p))];
    return { format: "onnx", files: [...ONNX_REQUIRED, graph, ...extra.sort()] };
  }
  const bins = files.filter((f) => !f.path.includes("/") && f.path.toLowerCase().endsWith(".bin"));
  const tokenizer = bins.map((f) => f.path).filter((p) => TOKENIZER_BIN.test(p)).sort()[0];
  const checkpoint = bins
    .filter((f) => !TOKENIZER_BIN.test(f.path) && !NOT_CHECKPOINT.test(f.path))
    .sort((a, b) => b.size - a.size || a.path.localeCompare(b.path))[0];
  if (tokenizer && checkpoint && dtype !== "fp32") {
    throw new RbeeError(
      "INVALID_MODEL_FILE",
      `Model '${refText}' is a llama2.c checkpoint, which rbee imports in fp32 only: dtype '${dtype}' does not exist for it`,
      { dtype, available: ["fp32"] },
    );
  }
  if (tokenizer && checkpoint) return { format: "llama2c", checkpoint: checkpoint.path, tokenizer };
  throw new RbeeError(
    "INVALID_MODEL_FILE",
    `Model '${refText}' is neither in the transformers.js ONNX layout (config.json, onnx/model.onnx) ` +
      "nor a llama2.c checkpoint with its tokenizer (tok*.bin)",
  );
}
