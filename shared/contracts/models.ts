/**
 * The model catalog as hives and the queen show it: installed models, and the
 * answers of `pull`, `show` and `rm`.
 */
import { z } from "zod";

/** Weight precisions a model can be pulled in (ONNX variants `model.onnx`, `model_fp16.onnx` …). */
export const ModelDtype = z.enum(["fp32", "fp16", "q8", "q4"]);
/** A weight precision. */
export type ModelDtype = z.infer<typeof ModelDtype>;

/**
 * The ONNX file holding each precision in the transformers.js layout (the names
 * transformers.js looks for); external weights sit beside it as `<file>_data[_N]`.
 */
export const DTYPE_ONNX_FILE: Readonly<Record<ModelDtype, string>> = {
  fp32: "onnx/model.onnx",
  fp16: "onnx/model_fp16.onnx",
  q8: "onnx/model_quantized.onnx",
  q4: "onnx/model_q4.onnx",
};

/** The optional `?dtype=` of `show` and `rm` (hive and queen). */
export const DtypeQuery = z.object({ dtype: ModelDtype.optional() });

/** One file of an installed model, as the hub listed it. */
export const ModelFile = z.object({ path: z.string(), size: z.number(), sha256: z.string().optional() });
/** One file of an installed model. */
export type ModelFile = z.infer<typeof ModelFile>;

/** One installed model on one hive (no filesystem path: it is the hive's business). */
export const ModelInfo = z.object({
  ref: z.string(),
  commit: z.string().nullable(),
  format: z.enum(["onnx", "llama2c"]),
  dtype: z.string(),
  size: z.number(),
  files: z.array(ModelFile),
  pulled_at: z.string(),
  last_used: z.string().nullable(),
  /** The hives holding it (filled in by the queen). */
  hives: z.array(z.string()).optional(),
});
/** One installed model. */
export type ModelInfo = z.infer<typeof ModelInfo>;

/** The models of a hive, or of the cluster. */
export const ModelList = z.object({ models: z.array(ModelInfo) });
/** A list of models. */
export type ModelList = z.infer<typeof ModelList>;

/** What `rm` did. */
export const RemoveModelResult = z.object({
  ref: z.string(),
  /** The precisions removed. */
  dtypes: z.array(z.string()).optional(),
  stopped_workers: z.array(z.string()),
  hives: z.array(z.string()).optional(),
});
/** What `rm` did. */
export type RemoveModelResult = z.infer<typeof RemoveModelResult>;

/** Asks the queen to pull a model on one hive, or on all of them. */
export const QueenPullRequest = z.object({
  model: z.string().min(1).max(512),
  hive: z.string().min(1).max(64).optional(),
  dtype: ModelDtype.optional(),
});
/** Asks the queen to pull a model. */
export type QueenPullRequest = z.infer<typeof QueenPullRequest>;
