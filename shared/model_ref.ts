/**
 * Model references: `hf:<org>/<repo>[:<subfolder>][@<revision>]` or `file:<path>`.
 *
 * Parsing is pure and strict: a reference that could escape a folder or smuggle
 * shell syntax is refused before anything touches the disk or the network.
 */
import { RbeeError } from "./errors.ts";

/** The model used when none is named. */
export const DEFAULT_MODEL = "hf:karpathy/tinyllamas:stories260K";

/** A parsed Hugging Face hub reference. */
export interface HfModelRef {
  kind: "hf";
  org: string;
  repo: string;
  /** Folder inside the repository holding the model, or "" for its root. */
  subfolder: string;
  revision: string;
}

/** A parsed local reference. */
export interface FileModelRef {
  kind: "file";
  path: string;
}

/** A parsed model reference. */
export type ModelRef = HfModelRef | FileModelRef;

const MAX_REF_LENGTH = 512;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const SUBFOLDER_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,127}$/;
// Printable characters only, none with a meaning to a shell.
// deno-lint-ignore no-control-regex
const SAFE_PATH = /^[^\u0000-\u001f\u007f;&|`$<>"'\\*?!(){}\[\]]+$/;

function invalid(ref: string, why: string): RbeeError {
  const shown = ref.length > 80 ? ref.slice(0, 80) + "…" : ref;
  return new RbeeError("INVALID_MODEL_REF", `Invalid model reference '${shown}': ${why}`);
}

function hasDotDot(path: string): boolean {
  return path.split("/").some((part) => part === "..");
}

/** Parses and validates a model reference; throws `INVALID_MODEL_REF` with the reason. */
export function parseModelRef(ref: string): ModelRef {
  if (ref.length === 0) throw invalid(ref, "it is empty");
  if (ref.length > MAX_REF_LENGTH) throw invalid(ref, `it is longer than ${MAX_REF_LENGTH} characters`);
  if (ref.startsWith("file:")) return parseFileRef(ref);
  if (ref.startsWith("hf:")) return parseHfRef(ref);
  throw invalid(ref, "expected 'hf:<org>/<repo>[:<subfolder>][@<revision>]' or 'file:<path>'");
}

function parseFileRef(ref: string): FileModelRef {
  const path = ref.slice("file:".length);
  if (!path) throw invalid(ref, "the path is empty");
  if (!SAFE_PATH.test(path)) throw invalid(ref, "the path contains control or shell characters");
  if (hasDotDot(path)) throw invalid(ref, "the path must not contain '..'");
  return { kind: "file", path };
}

function parseHfRef(ref: string): HfModelRef {
  let rest = ref.slice("hf:".length);
  let revision = "main";
  const at = rest.indexOf("@");
  if (at >= 0) {
    revision = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!REVISION.test(revision) || hasDotDot(revision)) throw invalid(ref, "the revision is not valid");
  }
  let subfolder = "";
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    subfolder = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!subfolder.split("/").every((part) => SUBFOLDER_PART.test(part)) || hasDotDot(subfolder)) {
      throw invalid(ref, "the subfolder is not valid");
    }
  }
  const parts = rest.split("/");
  if (parts.length !== 2) throw invalid(ref, "expected '<org>/<repo>' after 'hf:'");
  const [org, repo] = parts;
  if (!NAME.test(org) || !NAME.test(repo) || org.includes("..") || repo.includes("..")) {
    throw invalid(ref, "the organisation or repository name is not valid");
  }
  return { kind: "hf", org, repo, subfolder, revision };
}

/** The canonical text of a parsed reference (the revision is always written). */
export function formatModelRef(ref: ModelRef): string {
  if (ref.kind === "file") return `file:${ref.path}`;
  const sub = ref.subfolder ? `:${ref.subfolder}` : "";
  return `hf:${ref.org}/${ref.repo}${sub}@${ref.revision}`;
}
