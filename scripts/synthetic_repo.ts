/** A synthetic model repository for `deno task bench:pull`: a large graph generated on disk. */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import type { MirrorFile } from "../tests/support/fake_hub.ts";

/**
 * Writes a repository in the ONNX layout whose graph, at `graph`, is `size` bytes; returns
 * the files for the fake hub's manifest.
 */
export async function writeSyntheticRepo(dir: string, graph: string, size: number): Promise<MirrorFile[]> {
  const small = { "config.json": '{"model_type":"llama"}', "tokenizer.json": "{}" };
  for (const [path, text] of Object.entries(small)) {
    await writeFileIn(dir, path, new TextEncoder().encode(text));
  }
  const sha256 = await writeSynthetic(join(dir, graph), size);
  const smallFiles = Object.entries(small).map(([path, text]) => ({ path, size: text.length, lfs: false }));
  return [...smallFiles, { path: graph, size, sha256, lfs: true }];
}

async function writeFileIn(dir: string, path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
  await Deno.writeFile(join(dir, path), bytes);
}

/** Writes `size` bytes of a counter pattern in 1 MiB blocks; returns their sha256. */
async function writeSynthetic(path: string, size: number): Promise<string> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const hash = createHash("sha256");
  using out = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(1024 * 1024);
  for (let done = 0, i = 0; done < size; done += block.length, i++) {
    // Cheap, varied content: a counter pattern, so nothing compresses it away.
    new DataView(block.buffer).setUint32((i * 4096) % (block.length - 4), i);
    const chunk = block.subarray(0, Math.min(block.length, size - done));
    hash.update(chunk);
    for (let at = 0; at < chunk.length;) at += await out.write(chunk.subarray(at));
  }
  return hash.digest("hex");
}
