import { fileURLToPath } from "node:url";
import { LlamaTokenizer } from "@huggingface/transformers";
import { assertEquals, assertThrows, assertTrue } from "../../shared/testing.ts";
import { RbeeError } from "../../shared/errors.ts";
import {
  buildTokenizerConfig,
  buildTokenizerJson,
  deriveMerges,
  type Llama2cTokenizer,
  parseTokenizer,
  readTokenizer,
  sentencePieces,
} from "./tokenizer.ts";

const TOK512 = fileURLToPath(
  new URL(
    "../../../shared/hf-mirror/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin",
    import.meta.url,
  ),
);

const SAMPLES = [
  "Once upon a time",
  'Lily\'s dog, Max, said: "Hello!"',
  "  two  spaces and a trailing one ",
  "line\nbreak\ttab",
  "café crème brûlée",
  "emoji 🙂 and ™ and 漢字",
];

/** llama2.c's `encode()` from run.c, with BOS and the dummy prefix. */
function llama2cEncode(tok: Llama2cTokenizer, text: string): number[] {
  const ids = new Map(tok.pieces.map((p, id) => [p, id]));
  const tokens = [1];
  if (text === "") return tokens;
  tokens.push(ids.get(" ")!);
  for (const ch of text) {
    const id = ids.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const byte of new TextEncoder().encode(ch)) tokens.push(byte + 3);
  }
  for (;;) {
    let best = { score: -1e10, id: -1, at: -1 };
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = ids.get(tok.pieces[tokens[i]] + tok.pieces[tokens[i + 1]]);
      if (id !== undefined && tok.scores[id] > best.score) best = { score: tok.scores[id], id, at: i };
    }
    if (best.at < 0) return tokens;
    tokens.splice(best.at, 2, best.id);
  }
}

async function load(): Promise<{ tok: Llama2cTokenizer; hf: LlamaTokenizer }> {
  const tok = await readTokenizer(TOK512, 512);
  const hf = new LlamaTokenizer(buildTokenizerJson(tok), buildTokenizerConfig(512));
  return { tok, hf };
}

Deno.test("tok512.bin parses into 512 pieces with special, byte and word pieces", async () => {
  const tok = await readTokenizer(TOK512, 512);
  assertEquals(tok.maxTokenLength, 7);
  assertEquals([tok.pieces[0], tok.pieces[1], tok.pieces[2], tok.pieces[3], tok.pieces[258]], [
    "<unk>",
    "\n<s>\n",
    "\n</s>\n",
    "<0x00>",
    "<0xFF>",
  ]);
  assertEquals(tok.pieces[265], " the");
  assertEquals(sentencePieces(tok).slice(0, 3), ["<unk>", "<s>", "</s>"]);
  assertEquals(sentencePieces(tok)[265], "▁the");
});

Deno.test("a tokenizer file must hold exactly the checkpoint's vocabulary", async () => {
  const bytes = await Deno.readFile(TOK512);
  const check = (b: Uint8Array, vocab: number, part: string) => {
    const err = assertThrows(() => parseTokenizer(b, vocab), RbeeError);
    assertEquals(err.code, "INVALID_MODEL_FILE");
    assertTrue(err.message.includes(part), err.message);
  };
  check(bytes, 511, "'511' tokens end at");
  check(bytes, 513, "inside token '512'");
  check(bytes.subarray(0, bytes.byteLength - 1), 512, "inside token '511'");
  check(bytes.subarray(0, 2), 512, "inside the header");
});

Deno.test("encoding matches llama2.c's encoder, BOS and dummy prefix included", async () => {
  const { tok, hf } = await load();
  assertEquals(hf.encode("Once upon a time"), [1, 403, 407, 261, 378]);
  for (const text of SAMPLES) assertEquals(hf.encode(text), llama2cEncode(tok, text), JSON.stringify(text));
});

Deno.test("decoding round-trips, byte-fallback characters included", async () => {
  const { hf } = await load();
  for (const text of SAMPLES) {
    const ids = hf.encode(text);
    assertEquals(hf.decode(ids, { skip_special_tokens: true }), text);
  }
  const emoji = hf.encode("🙂");
  assertEquals(emoji.slice(2), [0xf0 + 3, 0x9f + 3, 0x99 + 3, 0x82 + 3]);
});

Deno.test("merges come from splits of each piece, best score first", () => {
  const pieces = ["<unk>", "<s>", "</s>", "<0x61>", "a", "b", "c", "ab", "bc", "abc"];
  const scores = [0, 0, 0, 0, -5, -6, -7, -1, -3, -2];
  assertEquals(deriveMerges(pieces, scores), [["a", "b"], ["a", "bc"], ["ab", "c"], ["b", "c"]]);
});

Deno.test("two identical pieces are a corrupt tokenizer", () => {
  const tok = {
    maxTokenLength: 3,
    pieces: ["<unk>", "\n<s>\n", "\n</s>\n", " a", " a"],
    scores: [0, 0, 0, 0, 0],
  };
  const err = assertThrows(() => sentencePieces(tok), RbeeError);
  assertEquals(err.message, "Invalid llama2.c tokenizer: tokens '3' and '4' are both '▁a'");
});
