/**
 * Parses a llama2.c tokenizer (`tok512.bin` and the like) and turns it into a
 * Hugging Face `tokenizer.json` + `tokenizer_config.json` that encode and decode
 * like llama2.c's own SentencePiece-style BPE (format: shared/formats/llama2c.md).
 */
import { RbeeError } from "../../shared/errors.ts";

/** The pieces and scores of a llama2.c tokenizer, indexed by token id. */
export interface Llama2cTokenizer {
  maxTokenLength: number;
  /** Raw pieces as stored: a word-start is a leading space, BOS/EOS are `\n<s>\n`/`\n</s>\n`. */
  pieces: string[];
  scores: number[];
}

const WORD_MARK = "▁";
const SPECIAL = ["<unk>", "<s>", "</s>"];
const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

function invalid(message: string): RbeeError {
  return new RbeeError("INVALID_MODEL_FILE", `Invalid llama2.c tokenizer: ${message}`);
}

/** Parses a tokenizer file holding exactly `vocabSize` pieces. */
export function parseTokenizer(bytes: Uint8Array, vocabSize: number): Llama2cTokenizer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const need = (offset: number, n: number, what: string) => {
    if (offset + n > bytes.byteLength) {
      throw invalid(`file ends at byte '${bytes.byteLength}' inside ${what}`);
    }
  };
  need(0, 4, "the header");
  const maxTokenLength = view.getInt32(0, true);
  const pieces: string[] = [];
  const scores: number[] = [];
  let offset = 4;
  for (let id = 0; id < vocabSize; id++) {
    need(offset, 8, `token '${id}'`);
    scores.push(view.getFloat32(offset, true));
    const length = view.getInt32(offset + 4, true);
    if (length < 0 || length > maxTokenLength) {
      throw invalid(`token '${id}' has length '${length}', the maximum is '${maxTokenLength}'`);
    }
    need(offset + 8, length, `token '${id}'`);
    try {
      pieces.push(decoder.decode(bytes.subarray(offset + 8, offset + 8 + length)));
    } catch {
      throw invalid(`token '${id}' is not valid UTF-8`);
    }
    offset += 8 + length;
  }
  if (offset !== bytes.byteLength) {
    throw invalid(`file has '${bytes.byteLength}' bytes, '${vocabSize}' tokens end at '${offset}'`);
  }
  return { maxTokenLength, pieces, scores };
}

/** Reads and parses a tokenizer file. */
export async function readTokenizer(path: string, vocabSize: number): Promise<Llama2cTokenizer> {
  return parseTokenizer(await Deno.readFile(path), vocabSize);
}

/** The SentencePiece form of each piece: fixed special names, `▁` for spaces. */
export function sentencePieces(tok: Llama2cTokenizer): string[] {
  const pieces = tok.pieces.map((p, id) => id < SPECIAL.length ? SPECIAL[id] : p.replaceAll(" ", WORD_MARK));
  const seen = new Map<string, number>();
  pieces.forEach((p, id) => {
    const first = seen.get(p);
    if (first !== undefined) throw invalid(`tokens '${first}' and '${id}' are both '${p}'`);
    seen.set(p, id);
  });
  return pieces;
}

/**
 * BPE merges derived from scores: every split of a piece into two vocabulary
 * pieces is a merge, ranked by the merged piece's score (highest first), as
 * Hugging Face's SentencePiece converter does; llama2.c merges the same way.
 */
export function deriveMerges(pieces: string[], scores: number[]): [string, string][] {
  const ids = new Map(pieces.map((p, id) => [p, id]));
  const merges: { left: string; right: string; score: number; id: number; l: number; r: number }[] = [];
  pieces.forEach((piece, id) => {
    if (id < SPECIAL.length || BYTE_PIECE.test(piece)) return;
    const chars = Array.from(piece);
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join("");
      const right = chars.slice(i).join("");
      const l = ids.get(left);
      const r = ids.get(right);
      if (l !== undefined && r !== undefined) merges.push({ left, right, score: scores[id], id, l, r });
    }
  });
  // Ties break by piece id, then by the ids of the two halves, as in Hugging Face's converter.
  merges.sort((a, b) => b.score - a.score || a.id - b.id || a.l - b.l || a.r - b.r);
  return merges.map((m) => [m.left, m.right]);
}

const replace = (from: string, to: string) => ({ type: "Replace", pattern: { String: from }, content: to });
const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
const sequence = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });

/** The dummy prefix and `▁` for spaces, exactly as SentencePiece normalizes. */
const NORMALIZER = {
  type: "Sequence",
  normalizers: [{ type: "Prepend", prepend: WORD_MARK }, replace(" ", WORD_MARK)],
};

/** BOS before every sequence, as llama2.c's encoder adds it. */
const POST_PROCESSOR = {
  type: "TemplateProcessing",
  single: [special("<s>", 0), sequence("A", 0)],
  pair: [special("<s>", 0), sequence("A", 0), special("<s>", 1), sequence("B", 1)],
  special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
};

const DECODER = {
  type: "Sequence",
  decoders: [
    replace(WORD_MARK, " "),
    { type: "ByteFallback" },
    { type: "Fuse" },
    { type: "Strip", content: " ", start: 1, stop: 0 }, // drops the dummy prefix again
  ],
};

/** Builds the Hugging Face `tokenizer.json` object (Llama-style BPE with byte fallback). */
export function buildTokenizerJson(tok: Llama2cTokenizer): Record<string, unknown> {
  const pieces = sentencePieces(tok);
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: NORMALIZER,
    pre_tokenizer: null,
    post_processor: POST_PROCESSOR,
    decoder: DECODER,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(pieces.map((p, id) => [p, id])),
      merges: deriveMerges(pieces, tok.scores),
    },
  };
}

/** Builds `tokenizer_config.json` for a model with context length `seqLen`. */
export function buildTokenizerConfig(seqLen: number): Record<string, unknown> {
  return {
    tokenizer_class: "LlamaTokenizer",
    bos_token: "<s>",
    eos_token: "</s>",
    unk_token: "<unk>",
    pad_token: null,
    add_bos_token: true,
    add_eos_token: false,
    // Cleanup would turn " ." into "." and break the decode round trip.
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: seqLen,
    added_tokens_decoder: Object.fromEntries(SPECIAL.map((content, id) => [String(id), {
      content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: true,
    }])),
  };
}
