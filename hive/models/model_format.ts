/**
 * Which of the two loadable formats a model folder is in, decided from its file
 * listing alone, so that the same rule serves hub folders and local folders.
 */
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

const ONNX_REQUIRED = ["config.json", "tokenizer.json", "onnx/model.onnx"];
const ONNX_OPTIONAL = ["generation_config.json", "tokenizer_config.json"];
// Large models keep their weights beside the graph, in one or several data files.
const ONNX_DATA = /^onnx\/model\.onnx_data(_\d+)?$/;
const ANY_ONNX = /^onnx\/[^/]+\.onnx$/;
const TOKENIZER_BIN = /^tok[^/]*\.bin$/i;
// PyTorch files share the .bin suffix but are not llama2.c checkpoints.
const NOT_CHECKPOINT = /^(pytorch_model.*|training_args)\.bin$/i;

/** Decides the format of a model folder from its listing; throws `INVALID_MODEL_FILE` when it is neither. */
export function planModel(files: ListedFile[], refText: string): ModelPlan {
  const paths = new Set(files.map((f) => f.path));
  if (paths.has("config.json") && files.some((f) => ANY_ONNX.test(f.path))) {
    // Only the fp32 export for now: the worker does not choose a dtype yet.
    const missing = ONNX_REQUIRED.filter((p) => !paths.has(p));
    if (missing.length > 0) {
      throw new RbeeError(
        "INVALID_MODEL_FILE",
        `Model '${refText}' has no '${missing[0]}' in its ONNX layout`,
      );
    }
    const extra = [
      ...ONNX_OPTIONAL.filter((p) => paths.has(p)),
      ...[...paths].filter((p) => ONNX_DATA.test(p)),
    ];
    return { format: "onnx", files: [...ONNX_REQUIRED, ...extra.sort()] };
  }
  const bins = files.filter((f) => !f.path.includes("/") && f.path.toLowerCase().endsWith(".bin"));
  const tokenizer = bins.map((f) => f.path).filter((p) => TOKENIZER_BIN.test(p)).sort()[0];
  const checkpoint = bins
    .filter((f) => !TOKENIZER_BIN.test(f.path) && !NOT_CHECKPOINT.test(f.path))
    .sort((a, b) => b.size - a.size || a.path.localeCompare(b.path))[0];
  if (tokenizer && checkpoint) return { format: "llama2c", checkpoint: checkpoint.path, tokenizer };
  throw new RbeeError(
    "INVALID_MODEL_FILE",
    `Model '${refText}' is neither in the transformers.js ONNX layout (config.json, onnx/model.onnx) ` +
      "nor a llama2.c checkpoint with its tokenizer (tok*.bin)",
  );
}
