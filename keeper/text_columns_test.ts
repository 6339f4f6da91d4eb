import { assertEquals } from "../shared/testing.ts";
import { alignColumns } from "./text_columns.ts";

Deno.test("columns line up at their widest cell, without trailing blanks", () => {
  assertEquals(alignColumns([["stories260K.bin", "1.1 MB", "b0a5"], ["tok512.bin", "6.2 kB", ""]]), [
    "stories260K.bin  1.1 MB  b0a5",
    "tok512.bin       6.2 kB",
  ]);
  assertEquals(alignColumns([]), []);
  assertEquals(alignColumns([["a", "bb"], ["ccc"]]), ["a    bb", "ccc"]);
});
