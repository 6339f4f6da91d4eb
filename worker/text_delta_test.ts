import { assertEquals } from "../shared/testing.ts";
import { TextDelta } from "./text_delta.ts";

// A toy SentencePiece-like decoder: ids map to pieces, "▁" is a space, the
// sequence's leading space is stripped, and byte pieces form UTF-8.
const PIECES: Record<number, string | number> = {
  1: "",
  10: "▁time",
  11: ",",
  12: "▁there",
  20: 0xc3,
  21: 0xa9,
};
const decoder = {
  decode(ids: number[]) {
    const bytes: number[] = [];
    for (const id of ids) {
      const piece = PIECES[id];
      if (typeof piece === "number") bytes.push(piece);
      else bytes.push(...new TextEncoder().encode(piece.replaceAll("▁", " ")));
    }
    return new TextDecoder().decode(new Uint8Array(bytes)).replace(/^ /, "");
  },
};

Deno.test("keeps the space of a word that follows the prompt", () => {
  const delta = new TextDelta(decoder, 10);
  assertEquals([delta.push(11), delta.push(12)], [",", " there"]);
});

Deno.test("after BOS the first word loses its leading space, like llama2.c", () => {
  const delta = new TextDelta(decoder, 1);
  assertEquals(delta.push(12), "there");
});

Deno.test("holds back half a UTF-8 character until it is whole", () => {
  const delta = new TextDelta(decoder, 10);
  assertEquals([delta.push(20), delta.push(21)], ["", "é"]);
  assertEquals(delta.flush(), "");
});
