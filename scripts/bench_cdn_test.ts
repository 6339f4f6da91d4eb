import { join } from "node:path";
import { assertEquals } from "../shared/testing.ts";

/** Runs bench_cdn.py over a folder while `fn` uses its URL. */
async function withCdn(root: string, fn: (url: string) => Promise<void>) {
  const cdn = new Deno.Command("python3", {
    args: [new URL("bench_cdn.py", import.meta.url).pathname, root],
    stdout: "piped",
  }).spawn();
  try {
    const reader = cdn.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    await fn(value!.trim());
  } finally {
    cdn.kill("SIGTERM");
    await cdn.status;
    await cdn.stdout.cancel().catch(() => {});
  }
}

Deno.test("the bench's CDN serves files whole or from an offset, and nothing outside its folder", async () => {
  const root = await Deno.makeTempDir();
  try {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    await Deno.writeTextFile(join(root, "secret.txt"), "not served");
    await Deno.mkdir(join(root, "a", "b"), { recursive: true });
    await Deno.writeFile(join(root, "a", "b", "f.bin"), bytes);
    await withCdn(join(root, "a"), async (url) => {
      const whole = await fetch(`${url}/b/f.bin`);
      assertEquals([whole.status, new Uint8Array(await whole.arrayBuffer())], [200, bytes]);
      const rest = await fetch(`${url}/b/f.bin`, { headers: { range: "bytes=1000-" } });
      assertEquals(rest.headers.get("content-range"), `bytes 1000-299999/300000`);
      assertEquals([rest.status, new Uint8Array(await rest.arrayBuffer())], [206, bytes.subarray(1000)]);
      for (const path of ["/b/missing", "/b"]) {
        const res = await fetch(`${url}${path}`);
        await res.body?.cancel();
        assertEquals(res.status, 404, path);
      }
      // fetch() would resolve the dots itself: the escape is sent as written.
      assertEquals((await rawGet(url, "/../secret.txt")).split("\r\n")[0], "HTTP/1.1 404 Not Found");
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** A GET sent over TCP as written; the response's head. */
async function rawGet(url: string, path: string): Promise<string> {
  const { hostname, port } = new URL(url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  return new TextDecoder().decode(buf.subarray(0, n ?? 0));
}
